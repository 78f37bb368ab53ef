package catalog

import "testing"

// FuzzDecodeOp: any op bytes of any op type decode or fail with an
// error, never a panic.
func FuzzDecodeOp(f *testing.F) {
	f.Add(uint16(OpSetAutomatedSnapshot), []byte(`{"on":true,"volume":"v","time":1}`))
	f.Add(uint16(OpSetGlobalVars), []byte(`{"vars":{"query_timeout":"900"}}`))
	f.Add(uint16(1), []byte(`{}`))
	f.Add(uint16(9999), []byte(`null`))
	f.Fuzz(func(t *testing.T, typ uint16, data []byte) {
		_, _ = DecodeOp(OpType(typ), data)
	})
}
