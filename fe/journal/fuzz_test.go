package journal

import (
	"bytes"
	"testing"
)

// FuzzDecodeEntry: any journal entry bytes decode or fail with an error.
func FuzzDecodeEntry(f *testing.F) {
	f.Add(EncodeEntry([]Op{{Type: 1, Data: []byte(`{"a":1}`)}, {Type: 2}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeEntry(b)
	})
}

// FuzzReadImageHeader: any image file start gives a header or an error.
func FuzzReadImageHeader(f *testing.F) {
	var buf bytes.Buffer
	if err := writeImageHeader(&buf, ImageHeader{FormatVersion: 1, FEJournalID: 42, JournalIDs: map[string]uint64{"starmgr": 7}}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("MRIMG"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = readImageHeader(bytes.NewReader(b))
	})
}
