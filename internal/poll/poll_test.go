package poll

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestUntil(t *testing.T) {
	tests := []struct {
		name    string
		okAfter int // calls before cond returns nil; -1: never
		wantErr string
	}{
		{"at once", 0, ""},
		{"after three tries", 3, ""},
		{"never", -1, "last error: try"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := Until(context.Background(), 300*time.Millisecond, func() error {
				calls++
				if tc.okAfter >= 0 && calls > tc.okAfter {
					return nil
				}
				return fmt.Errorf("try %d", calls)
			})
			if tc.wantErr == "" {
				require.NoError(t, err)
				require.Equal(t, tc.okAfter+1, calls)
				return
			}
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

type fakeT struct{ msg string }

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
}

func TestForReportsLastError(t *testing.T) {
	ft := &fakeT{}
	For(ft, 100*time.Millisecond, func() error { return errors.New("still 2 rows") })
	require.True(t, strings.Contains(ft.msg, "still 2 rows"), ft.msg)
}
