package lake

import (
	"bytes"
	"testing"
)

// The fuzz targets of the lake's decoders: whatever bytes a bucket
// holds, decoding returns rows or an error, never panics or hangs. The
// seeds are valid objects written by the encoders.

func FuzzReadSegment(f *testing.F) {
	s := allTypesSchema()
	var buf bytes.Buffer
	w := NewSegmentWriter(&buf, s)
	if err := w.Append(allTypesRows()); err != nil {
		f.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ReadSegment("fuzz.dat", b, nil)
		_, _ = ReadSegment("fuzz.dat", b, s)
	})
}

func FuzzDecodeBlock(f *testing.F) {
	s := allTypesSchema()
	f.Add(EncodeBlock(s, allTypesRows()))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeBlock(s, b)
	})
}

func FuzzDecodeMeta(f *testing.F) {
	f.Add(EncodeMeta(&TabletMeta{}))
	f.Add([]byte(`{"version":3}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeMeta("fuzz.meta", b)
	})
}

func FuzzDecodeTxnLog(f *testing.F) {
	f.Add(EncodeTxnLog(&TxnLog{}))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeTxnLog("fuzz.log", b)
	})
}
