package channeltest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// UsedKeys reads the non-test Go files of the package in dir for the text
// keys it asks for: the literal string passed to each call of a function
// or method named in funcs (name → the key's argument index). It returns
// the keys by name. A call whose key is not a literal is an error, since
// its key cannot be checked: a channel asks for a text by its key, in
// words.
func UsedKeys(dir string, funcs map[string]int) (map[string]map[string]bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	used := map[string]map[string]bool{}
	for name := range funcs {
		used[name] = map[string]bool{}
	}
	fset := token.NewFileSet()
	var errs []string
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			return nil, err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			i, ok := funcs[name]
			if !ok || len(call.Args) <= i {
				return true
			}
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				errs = append(errs, fmt.Sprintf("%s: %s with a key that is not a literal: its key cannot be checked", fset.Position(call.Pos()), name))
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			used[name][key] = true
			return true
		})
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return used, nil
}

// TextKeys checks the keys a package uses against those the knowledge base
// requires of its data file (and so checks at load; key → placeholders):
// a key used but not required could be missing from the file and panic
// when a merchant is answered; a key required but not used is dead data.
// what names the texts in the errors ("telegram merchant").
func TextKeys(t testing.TB, what string, used map[string]bool, required map[string]string) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(used)) {
		if _, ok := required[k]; !ok {
			t.Errorf("the code asks for %s text %q, which the knowledge base does not require", what, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(required)) {
		if !used[k] {
			t.Errorf("the knowledge base requires %s text %q, which the code never asks for", what, k)
		}
	}
}
