package main

import (
	"slices"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"SELECT 1", []string{"SELECT 1"}},
		{" SELECT 1; ;SELECT 2; ", []string{"SELECT 1", "SELECT 2"}},
		{`ALTER SYSTEM ADD FOLLOWER "fe2:9010"; ALTER SYSTEM ADD COMPUTE NODE 'cn1:9050'`, []string{`ALTER SYSTEM ADD FOLLOWER "fe2:9010"`, `ALTER SYSTEM ADD COMPUTE NODE 'cn1:9050'`}},
		{"SELECT 'a;b', `c;d`", []string{"SELECT 'a;b', `c;d`"}},
		{";", nil},
	} {
		if got := splitStatements(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("splitStatements(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
