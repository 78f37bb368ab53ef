package journal

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// headerBytes frames header JSON the way images carry it.
func headerBytes(js string) []byte {
	b := []byte(headerMagic)
	b = binary.BigEndian.AppendUint32(b, uint32(len(js)))
	return append(b, js...)
}

func TestImageHeaderJSON(t *testing.T) {
	created := time.Date(2026, 12, 4, 16, 0, 0, 123456789, time.UTC)
	const createdJSON = `"2026-12-04T16:00:00.123456789Z"`
	tests := []struct {
		name string
		// in is the header JSON read; want the header it reads as.
		in   string
		want ImageHeader
		// reencode: writing want gives exactly in.
		reencode bool
	}{
		{
			name:     "format before generic names (starmgr_journal_id)",
			in:       `{"format_version":1,"fe_journal_id":7,"starmgr_journal_id":3,"created":` + createdJSON + `}`,
			want:     ImageHeader{FormatVersion: 1, FEJournalID: 7, JournalIDs: map[string]uint64{"starmgr": 3}, Created: created},
			reencode: true,
		},
		{
			name:     "several names, sorted",
			in:       `{"format_version":1,"fe_journal_id":9,"a_b_journal_id":1,"starmgr_journal_id":2,"x9_journal_id":18446744073709551615,"created":` + createdJSON + `}`,
			want:     ImageHeader{FormatVersion: 1, FEJournalID: 9, JournalIDs: map[string]uint64{"a_b": 1, "starmgr": 2, "x9": 1<<64 - 1}, Created: created},
			reencode: true,
		},
		{
			name:     "no named ids",
			in:       `{"format_version":1,"fe_journal_id":5,"created":` + createdJSON + `}`,
			want:     ImageHeader{FormatVersion: 1, FEJournalID: 5, Created: created},
			reencode: true,
		},
		{
			name: "key order and unknown keys do not matter",
			in:   `{"created":` + createdJSON + `,"extra":{"x":1},"_journal_id":4,"starmgr_journal_id":3,"fe_journal_id":7,"format_version":1}`,
			want: ImageHeader{FormatVersion: 1, FEJournalID: 7, JournalIDs: map[string]uint64{"starmgr": 3}, Created: created},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, n, err := readImageHeader(bytes.NewReader(headerBytes(tc.in)))
			require.NoError(t, err)
			require.Equal(t, int64(headerPrefixLen+len(tc.in)), n)
			require.Equal(t, tc.want, h)
			if !tc.reencode {
				return
			}
			var buf bytes.Buffer
			require.NoError(t, writeImageHeader(&buf, tc.want))
			require.Equal(t, string(headerBytes(tc.in)), buf.String(), "the bytes on disk do not change")
		})
	}
}

func TestImageHeaderRejects(t *testing.T) {
	reads := []struct{ name, in string }{
		{"not JSON", `{"format_version":`},
		{"journal id not a number", `{"format_version":1,"fe_journal_id":1,"starmgr_journal_id":"x"}`},
		{"negative journal id", `{"format_version":1,"fe_journal_id":1,"starmgr_journal_id":-1}`},
	}
	for _, tc := range reads {
		t.Run("read "+tc.name, func(t *testing.T) {
			_, _, err := readImageHeader(bytes.NewReader(headerBytes(tc.in)))
			require.ErrorIs(t, err, ErrCorruptImage)
		})
	}
	names := []struct{ name, id string }{
		{"empty name", ""},
		{"the journal's own name", "fe"},
		{"upper case", "StarMgr"},
		{"a quote", `a"b`},
		{"a space", "star mgr"},
	}
	for _, tc := range names {
		t.Run("write "+tc.name, func(t *testing.T) {
			err := writeImageHeader(&bytes.Buffer{}, ImageHeader{FormatVersion: 1, JournalIDs: map[string]uint64{tc.id: 1}})
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), "journal: image header: "), err.Error())
		})
	}
}
