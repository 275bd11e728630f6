package eval

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func TestParseCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		line string
		want Case
	}{
		{
			name: "missing code key is not checked",
			line: `{"id":"a","query":"q"}`,
			want: Case{ID: "a", Query: "q"},
		},
		{
			name: "empty code expects no code",
			line: `{"id":"a","query":"q","code":""}`,
			want: Case{ID: "a", Query: "q", Code: ptr("")},
		},
		{
			name: "null code, target and clarify are not checked",
			line: `{"id":"a","query":"q","code":null,"target":null,"clarify":null}`,
			want: Case{ID: "a", Query: "q"},
		},
		{
			name: "unknown fields are ignored",
			line: `{"id":"a","query":"q","note":"x","weights":{"a":[1,2]},"code":" 51 ","clarify":false,"handoff":true}`,
			want: Case{ID: "a", Query: "q", Code: ptr("51"), Clarify: ptr(false), Handoff: true},
		},
		{
			name: "target as a list or a single string",
			line: `{"id":"a","query":"q","target":"bank"}`,
			want: Case{ID: "a", Query: "q", Target: []string{"bank"}},
		},
		{
			name: "mention groups and bare strings",
			line: `{"id":"a","query":"q","mention":["余额",["发卡行","issuer"]],"forbid":["cvv"],"expect_ids":["kb-1"],"turns":["hi"],"kind":"code","family":"51"}`,
			want: Case{
				ID: "a", Query: "q", Mention: [][]string{{"余额"}, {"发卡行", "issuer"}},
				Forbid: []string{"cvv"}, ExpectIDs: []string{"kb-1"}, Turns: []string{"hi"}, Kind: "code", Family: "51",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCases("x.jsonl", strings.NewReader(tt.line))
			if err != nil {
				t.Fatalf("ParseCases: %v", err)
			}
			tt.want.Source, tt.want.Dataset = "x.jsonl:1", "x"
			if diff := cmp.Diff([]Case{tt.want}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDatasetName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"eval/testdata/dev7.jsonl":           "dev7",
		"cases.jsonl":                        "cases",
		"embedded:eval/testdata/cases.jsonl": "cases",
		"/tmp/passing":                       "passing",
		"testdata/fixture/second.set.jsonl":  "second.set",
	} {
		if got := datasetName(in); got != want {
			t.Errorf("datasetName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseCasesReportsLineNumbers(t *testing.T) {
	t.Parallel()
	input := strings.Join([]string{
		"\ufeff" + `{"id":"a","query":"q"}`,
		`{"id":"b","query":"q"`, // line 2: truncated JSON
		``,
		`{"query":"q"}`,                    // line 4: no id
		`{"id":"c","query":"q","code":51}`, // line 5: code is a number
		`{"id":"d","query":"q","target":["bnak"]}`, // line 6: unknown target
		`{"id":"a","query":"again"}`,               // line 7: duplicate id
		`{"id":"e","query":"  "}`,                  // line 8: empty query
	}, "\n")
	_, err := ParseCases("cases.jsonl", strings.NewReader(input))
	if err == nil {
		t.Fatal("ParseCases accepted malformed lines")
	}
	for _, want := range []string{"cases.jsonl:2:", "cases.jsonl:4:", "cases.jsonl:5:", "cases.jsonl:6:", "cases.jsonl:7:", "cases.jsonl:8:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
	for _, unwanted := range []string{"cases.jsonl:1:", "cases.jsonl:3:"} {
		if strings.Contains(err.Error(), unwanted) {
			t.Errorf("error blames the good line %s:\n%v", unwanted, err)
		}
	}
}

func TestLoadFixture(t *testing.T) {
	t.Parallel()
	cases := loadFixture(t)
	if len(cases) != 11 {
		t.Fatalf("fixture: %d cases, want 11", len(cases))
	}
	byID := map[string]Case{}
	for _, c := range cases {
		byID[c.ID] = c
	}
	if byID["bad-clarify"].Code != nil {
		t.Errorf("bad-clarify has no code key: Code = %q, want nil", *byID["bad-clarify"].Code)
	}
	if c := byID["no-code-expected"].Code; c == nil || *c != "" {
		t.Errorf(`no-code-expected: Code = %v, want pointer to ""`, c)
	}
	if got := byID["bad-target"].Source; got != fixturePath+":3" {
		t.Errorf("bad-target Source = %q, want line 3", got)
	}
}
