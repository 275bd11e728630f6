// Package llm talks to any OpenAI-compatible model server (OpenAI, DeepSeek,
// Qwen, Ollama, vLLM) through go-openai. Its types stay here: the rest of
// posbot sees a bot.Writer and a retrieval.Embedder.
package llm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/posbot/posbot/bot"
	"github.com/posbot/posbot/prompts"
)

// Config configures a Client.
type Config struct {
	BaseURL    string        // POSBOT_OPENAI_BASE_URL, e.g. http://127.0.0.1:11434/v1
	APIKey     string        // POSBOT_OPENAI_API_KEY; empty sends no Authorization header
	ChatModel  string        // POSBOT_CHAT_MODEL
	EmbedModel string        // POSBOT_EMBED_MODEL
	Timeout    time.Duration // per call; 20 s if zero
	// Temperature for answers. go-openai omits 0, so 0 is sent as the
	// smallest positive float32 instead of silently using the server default.
	Temperature float32
	HTTPClient  *http.Client
}

// Client is a model client. It is safe for concurrent use.
type Client struct {
	cfg Config
	c   *openai.Client
}

var _ bot.Writer = (*Client)(nil)

// New returns a Client.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 20 * time.Second
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.HTTPClient != nil {
		oc.HTTPClient = cfg.HTTPClient
	} else {
		oc.HTTPClient = &http.Client{Timeout: cfg.Timeout + 5*time.Second}
	}
	return &Client{cfg: cfg, c: openai.NewClientWithConfig(oc)}
}

// promptData is what the answer templates see.
type promptData struct {
	bot.Draft
	Target   string
	KeyTerms []string
}

// Write implements bot.Writer: one chat completion grounded in the draft's passages.
func (c *Client) Write(ctx context.Context, d bot.Draft) (string, error) {
	if len(d.Passages) == 0 {
		return "", errors.New("write answer: no passages")
	}
	data := promptData{Draft: d, Target: d.Passages[0].Target, KeyTerms: d.Passages[0].KeyTerms}
	system, err := prompts.Render("answer_system.tmpl", data)
	if err != nil {
		return "", err
	}
	user, err := prompts.Render("answer_user.tmpl", data)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	temp := c.cfg.Temperature
	if temp == 0 {
		temp = math.SmallestNonzeroFloat32
	}
	resp, err := c.c.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
		Model:       c.cfg.ChatModel,
		Temperature: temp,
		MaxTokens:   900,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: system},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
	})
	if err != nil {
		return "", fmt.Errorf("chat completion: %w", err)
	}
	if len(resp.Choices) == 0 {
		return "", errors.New("chat completion: no choices")
	}
	return strings.TrimSpace(resp.Choices[0].Message.Content), nil
}

// Name identifies the embedding model, for re-embedding decisions.
func (c *Client) Name() string { return "openai:" + c.cfg.EmbedModel }

// embedBatch is how many texts go in one embeddings request.
const embedBatch = 64

// Embed returns L2-normalised embeddings of texts, in order.
func (c *Client) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for chunk := range slices.Chunk(texts, embedBatch) {
		cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		resp, err := c.c.CreateEmbeddings(cctx, openai.EmbeddingRequestStrings{
			Input:          chunk,
			Model:          openai.EmbeddingModel(c.cfg.EmbedModel),
			EncodingFormat: openai.EmbeddingEncodingFormatFloat,
		})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("embeddings: %w", err)
		}
		if len(resp.Data) != len(chunk) {
			return nil, fmt.Errorf("embeddings: got %d vectors for %d texts", len(resp.Data), len(chunk))
		}
		vecs := make([][]float32, len(chunk))
		for _, e := range resp.Data {
			if e.Index < 0 || e.Index >= len(chunk) {
				return nil, fmt.Errorf("embeddings: index %d out of range", e.Index)
			}
			vecs[e.Index] = normalized(e.Embedding)
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func normalized(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return v
	}
	inv := float32(1 / math.Sqrt(s))
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * inv
	}
	return out
}
