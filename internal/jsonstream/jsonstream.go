// Package jsonstream writes a struct as exactly the JSON encoding/json's
// Marshal makes of it, but streams the entries of its map fields one by one
// instead of building the whole document first. Images of the FE state are
// written this way, so the writer they go to sees a steady flow of small
// writes and can pace them.
package jsonstream

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// WriteStruct writes v, a struct or a pointer to one, to w as
// json.Marshal(v) would. Map fields with string or integer keys are written
// entry by entry in json.Marshal's key order; every other field, and a
// struct this package cannot stream (embedded fields, the ",string"
// option), is marshalled whole.
func WriteStruct(w io.Writer, v any) error {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return writeWhole(w, v)
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct || !streamable(rv.Type()) {
		return writeWhole(w, v)
	}
	t := rv.Type()
	if _, err := io.WriteString(w, "{"); err != nil {
		return err
	}
	first := true
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, omitEmpty, skip := fieldName(f)
		if skip {
			continue
		}
		fv := rv.Field(i)
		if omitEmpty && isEmpty(fv) {
			continue
		}
		key, err := json.Marshal(name)
		if err != nil {
			return err
		}
		sep := ","
		if first {
			sep = ""
		}
		first = false
		if _, err := io.WriteString(w, sep+string(key)+":"); err != nil {
			return err
		}
		if err := writeValue(w, fv); err != nil {
			return fmt.Errorf("field %s: %w", f.Name, err)
		}
	}
	_, err := io.WriteString(w, "}")
	return err
}

// streamable tells whether every field of t can be written here exactly as
// encoding/json writes it.
func streamable(t reflect.Type) bool {
	if reflect.PointerTo(t).Implements(jsonMarshaler) || t.Implements(jsonMarshaler) ||
		reflect.PointerTo(t).Implements(textMarshaler) || t.Implements(textMarshaler) {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			return false
		}
		if _, opts, _ := strings.Cut(f.Tag.Get("json"), ","); slices.Contains(strings.Split(opts, ","), "string") {
			return false
		}
	}
	return true
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// fieldName is the JSON name of f and its omitempty option; skip for "-".
func fieldName(f reflect.StructField) (name string, omitEmpty, skip bool) {
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false, true
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, slices.Contains(strings.Split(opts, ","), "omitempty"), false
}

// isEmpty is encoding/json's notion of an empty value for omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// writeValue writes one field's value: a map entry by entry when its keys
// allow, anything else whole.
func writeValue(w io.Writer, v reflect.Value) error {
	if v.Kind() != reflect.Map || v.IsNil() || !streamableKey(v.Type().Key()) {
		return writeWhole(w, v.Interface())
	}
	type entry struct {
		key string
		val reflect.Value
	}
	entries := make([]entry, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		entries = append(entries, entry{keyString(it.Key()), it.Value()})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	if _, err := io.WriteString(w, "{"); err != nil {
		return err
	}
	// One encoder and buffer for every entry: encoding/json's Encoder
	// writes what Marshal returns plus a newline, and reuses its state, so
	// a large map makes little garbage while it is written.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	encode := func(v any) error {
		if err := enc.Encode(v); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // the newline Encode adds
		return nil
	}
	for i, e := range entries {
		buf.Reset()
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := encode(e.key); err != nil {
			return err
		}
		buf.WriteByte(':')
		if err := encode(e.val.Interface()); err != nil {
			return err
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "}")
	return err
}

// streamableKey: string and integer keys, which encoding/json writes as
// their string form and sorts by it (a key type with MarshalText is not).
func streamableKey(t reflect.Type) bool {
	if t.Implements(textMarshaler) {
		return false
	}
	switch t.Kind() {
	case reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

func keyString(k reflect.Value) string {
	switch k.Kind() {
	case reflect.String:
		return k.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10)
	}
	return strconv.FormatUint(k.Uint(), 10)
}

func writeWhole(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
