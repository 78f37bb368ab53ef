package journal

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEntryRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 100000)
	tests := []struct {
		name string
		ops  []Op
	}{
		{"empty", nil},
		{"one", []Op{{Type: 7, Version: 1, Data: []byte(`{"a":1}`)}}},
		{"empty data", []Op{{Type: 1, Version: 0, Data: nil}}},
		{"max type and version", []Op{{Type: 0xFFFF, Version: 255, Data: []byte("z")}}},
		{"many", []Op{{Type: 1, Version: 1, Data: []byte("a")}, {Type: 300, Version: 2, Data: []byte("bb")}, {Type: 2, Data: nil}}},
		{"large", []Op{{Type: 9, Version: 3, Data: big}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := EncodeEntry(tc.ops)
			require.Equal(t, entryFormatV1, b[0])
			got, err := DecodeEntry(b)
			require.NoError(t, err)
			require.Len(t, got, len(tc.ops))
			for i := range tc.ops {
				require.Equal(t, tc.ops[i].Type, got[i].Type)
				require.Equal(t, tc.ops[i].Version, got[i].Version)
				require.True(t, bytes.Equal(tc.ops[i].Data, got[i].Data))
			}
		})
	}
}

func TestDecodeEntryCorrupt(t *testing.T) {
	valid := EncodeEntry([]Op{{Type: 3, Version: 1, Data: []byte("hello")}, {Type: 4, Version: 2, Data: []byte("world")}})
	tests := []struct {
		name string
		in   []byte
	}{
		{"nil", nil},
		{"unknown format", []byte{9, 0}},
		{"no count", []byte{1}},
		{"count overflows entry", []byte{1, 50, 1, 1, 1}},
		{"type above uint16", append([]byte{1, 1, 0x80, 0x80, 0x04}, 1, 0)},
		{"missing version", []byte{1, 1, 5}},
		{"length beyond end", []byte{1, 1, 5, 1, 10, 'a'}},
		{"trailing bytes", append(append([]byte{}, valid...), 0)},
		{"trailing after empty", []byte{1, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeEntry(tc.in)
			require.ErrorIs(t, err, ErrCorruptEntry)
		})
	}
	// Every strict prefix of a valid entry is rejected, without panicking.
	for i := 0; i < len(valid); i++ {
		_, err := DecodeEntry(valid[:i])
		require.ErrorIs(t, err, ErrCorruptEntry, "prefix %d", i)
	}
}
