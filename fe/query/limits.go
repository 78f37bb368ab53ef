package query

import (
	"fmt"
	"unicode/utf8"

	"github.com/minirocks/minirocks/fe/sqlerr"
)

// Bounds of max_allowed_packet, MySQL's: values outside are taken as the
// nearest bound.
const (
	// DefaultMaxAllowedPacket is the default of max_allowed_packet (32 MiB,
	// StarRocks' default).
	DefaultMaxAllowedPacket = 33554432
	// MinMaxAllowedPacket is the smallest max_allowed_packet honoured.
	MinMaxAllowedPacket = 1024
	// MaxMaxAllowedPacket is the largest max_allowed_packet honoured (1 GiB).
	MaxMaxAllowedPacket = 1 << 30
)

// ErrPacketTooLarge is MySQL's answer to a packet or statement longer than
// max_allowed_packet.
var ErrPacketTooLarge = sqlerr.New(sqlerr.ErNetPacketTooLarge, sqlerr.StateNetError,
	"Got a packet bigger than 'max_allowed_packet' bytes")

// MaxAllowedPacket is the session's max_allowed_packet in bytes (SET
// [SESSION] max_allowed_packet, else the GLOBAL value), within
// [MinMaxAllowedPacket, MaxMaxAllowedPacket]: the largest packet the
// connection accepts and the longest statement text the session runs.
func (s *Session) MaxAllowedPacket() int {
	val, ok := s.vars["max_allowed_packet"]
	if !ok {
		val = s.eng.vars.getGlobal("max_allowed_packet")
	}
	n, ok := parseInt(val)
	if !ok {
		return DefaultMaxAllowedPacket
	}
	return int(min(max(n, MinMaxAllowedPacket), MaxMaxAllowedPacket))
}

// checkText refuses a statement text before it is parsed: longer than
// max_allowed_packet (a prepared statement's bound values can make it
// longer than the packets that carried it), or not UTF-8. Nothing runs.
func (s *Session) checkText(text string) error {
	if len(text) > s.MaxAllowedPacket() {
		return ErrPacketTooLarge
	}
	return checkUTF8(text)
}

// checkUTF8 is MySQL's 1300 for bytes that are not UTF-8, naming (in hex,
// as MySQL does) the first invalid bytes.
func checkUTF8(text string) error {
	if utf8.ValidString(text) {
		return nil
	}
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		i += size
	}
	bad := text[i:min(i+4, len(text))]
	return sqlerr.New(sqlerr.ErInvalidCharString, sqlerr.StateGeneral,
		"Invalid utf8 character string: '%s'", fmt.Sprintf("%X", bad))
}
