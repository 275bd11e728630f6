// Package logging ties log lines to the request or update they belong to:
// channels put ids into the context with With, and a logger built on Handler
// adds them to every line logged with that context (slog's *Context methods).
package logging

import (
	"context"
	"log/slog"
)

type argsKey struct{}

// With returns a context carrying args (slog key-value pairs, such as
// "request_id", id) in addition to any it already carries.
func With(ctx context.Context, args ...any) context.Context {
	prev, _ := ctx.Value(argsKey{}).([]slog.Attr)
	add := argsToAttrs(args)
	all := make([]slog.Attr, 0, len(prev)+len(add))
	all = append(append(all, prev...), add...)
	return context.WithValue(ctx, argsKey{}, all)
}

// Handler wraps h so that every record logged with a context carries the
// context's arguments. It is safe for concurrent use if h is.
func Handler(h slog.Handler) slog.Handler { return ctxHandler{h} }

type ctxHandler struct{ slog.Handler }

// Handle adds the context's arguments that the record does not already carry,
// so a caller that logs the id itself does not get it twice. The context
// holds a few attributes and a record a dozen: comparing keys costs less
// than a set of them would, on every line.
func (c ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	attrs, _ := ctx.Value(argsKey{}).([]slog.Attr)
	if len(attrs) == 0 {
		return c.Handler.Handle(ctx, r)
	}
	cloned := false
	for _, a := range attrs {
		have := false
		r.Attrs(func(b slog.Attr) bool { have = b.Key == a.Key; return !have })
		if have {
			continue
		}
		if !cloned {
			r, cloned = r.Clone(), true
		}
		r.AddAttrs(a)
	}
	return c.Handler.Handle(ctx, r)
}

// argsToAttrs turns key-value pairs into attributes as slog does.
func argsToAttrs(args []any) []slog.Attr {
	var r slog.Record
	r.Add(args...)
	out := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool { out = append(out, a); return true })
	return out
}

func (c ctxHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return ctxHandler{c.Handler.WithAttrs(as)}
}
func (c ctxHandler) WithGroup(name string) slog.Handler { return ctxHandler{c.Handler.WithGroup(name)} }
