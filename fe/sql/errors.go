package sql

import (
	"fmt"
	"sort"
	"strings"
)

// ErrCodeParse is the MySQL error number a caller sends for a *SyntaxError
// (ER_PARSE_ERROR).
const ErrCodeParse = 1064

// SQLStateSyntax is the SQLSTATE a caller sends for a *SyntaxError.
const SQLStateSyntax = "42000"

// SyntaxError is the only error type returned by Parse, ParseOne and
// ParseExpr. Line is 1-based, Col is 0-based (characters from the start of
// the line), as StarRocks reports them. Msg is the detail message, which
// already ends with a full stop.
type SyntaxError struct {
	Line int
	Col  int
	Msg  string
}

// Error renders the error exactly as StarRocks does, for example
// "Getting syntax error at line 1, column 7. Detail message: Unexpected
// input 'FORM', the most similar input is {<EOF>, ';'}.".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("Getting syntax error at line %d, column %d. Detail message: %s", e.Line, e.Col, e.Msg)
}

// Pos returns the position of the error.
func (e *SyntaxError) Pos() Pos { return Pos{Line: e.Line, Col: e.Col} }

// Expected-token markers used inside the parser. Keywords are written as
// their upper-case spelling, punctuation as itself; these cover the rest.
const (
	expEOF    = "<EOF>"
	expIdent  = "<ident>"
	expInt    = "#INTEGER_VALUE"
	expDec    = "#DECIMAL_VALUE"
	expDouble = "#DOUBLE_VALUE"
	expSQ     = "#SINGLE_QUOTED_TEXT"
	expDQ     = "#DOUBLE_QUOTED_TEXT"
)

// symbolOrder is the order in which punctuation appears in StarRocks'
// token vocabulary; expected symbols are listed in this order.
var symbolOrder = []string{
	expEOF, ".", "(", ",", ")", "?", "=", "<", "<=", ">", ">=", "<=>",
	"+", "-", "*", "/", "%", "||", "&&", "!", "&", "|", "^", "~", "<<", ">>", "@", ":=", ";",
}

func symbolRank(s string) int {
	for i, x := range symbolOrder {
		if x == s {
			return i
		}
	}
	return len(symbolOrder)
}

func isWordItem(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '#' {
		return true
	}
	c := s[0]
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'
}

// unexpectedMsg builds StarRocks' "Unexpected input" detail message: when an
// identifier would have been accepted the list is just "a legal
// identifier"; otherwise the five keywords most similar to the offending
// token (Jaro-Winkler, as StarRocks ranks them) followed by every expected
// symbol in vocabulary order.
func unexpectedMsg(tok string, expected []string) string {
	return fmt.Sprintf("Unexpected input '%s', the most similar input is %s.", tok, expectedList(tok, expected))
}

func expectedList(tok string, expected []string) string {
	seen := map[string]bool{}
	var words, symbols []string
	ident := false
	for _, e := range expected {
		if seen[e] {
			continue
		}
		seen[e] = true
		switch {
		case e == expIdent:
			ident = true
		case isWordItem(e):
			if e[0] == '#' {
				words = append(words, e[1:])
			} else {
				words = append(words, "'"+e+"'")
			}
		default:
			symbols = append(symbols, e)
		}
	}
	if ident {
		return "{a legal identifier}"
	}
	upper := strings.ToUpper(tok)
	sort.SliceStable(words, func(i, j int) bool {
		return jaroWinklerDistance(words[i], upper) < jaroWinklerDistance(words[j], upper)
	})
	if len(words) > 5 {
		words = words[:5]
	}
	sort.SliceStable(symbols, func(i, j int) bool { return symbolRank(symbols[i]) < symbolRank(symbols[j]) })
	out := append([]string(nil), words...)
	for _, s := range symbols {
		if s == expEOF {
			out = append(out, s)
		} else {
			out = append(out, "'"+s+"'")
		}
	}
	return "{" + strings.Join(out, ", ") + "}"
}

// notValidMsg builds the "Input 'x' is not valid at this position." message.
func notValidMsg(tok string) string {
	return fmt.Sprintf("Input '%s' is not valid at this position.", tok)
}

// jaroWinklerDistance is 1 - the Jaro-Winkler similarity, computed the way
// Apache commons-text does it (which is what StarRocks uses to rank
// suggestions).
func jaroWinklerDistance(a, b string) float64 {
	return 1 - jaroWinklerSimilarity([]rune(a), []rune(b))
}

func jaroWinklerSimilarity(left, right []rune) float64 {
	if string(left) == string(right) {
		return 1
	}
	m, halfTransp, prefix := jwMatches(left, right)
	if m == 0 {
		return 0
	}
	fm := float64(m)
	j := (fm/float64(len(left)) + fm/float64(len(right)) + (fm-float64(halfTransp)/2)/fm) / 3
	if j < 0.7 {
		return j
	}
	return j + 0.1*float64(prefix)*(1-j)
}

func jwMatches(first, second []rune) (matches, halfTransp, prefix int) {
	maxS, minS := second, first
	if len(first) > len(second) {
		maxS, minS = first, second
	}
	rng := len(maxS)/2 - 1
	if rng < 0 {
		rng = 0
	}
	matchIndexes := make([]int, len(minS))
	for i := range matchIndexes {
		matchIndexes[i] = -1
	}
	matchFlags := make([]bool, len(maxS))
	for mi, c1 := range minS {
		lo := mi - rng
		if lo < 0 {
			lo = 0
		}
		hi := mi + rng + 1
		if hi > len(maxS) {
			hi = len(maxS)
		}
		for xi := lo; xi < hi; xi++ {
			if !matchFlags[xi] && c1 == maxS[xi] {
				matchIndexes[mi] = xi
				matchFlags[xi] = true
				matches++
				break
			}
		}
	}
	ms1 := make([]rune, 0, matches)
	ms2 := make([]rune, 0, matches)
	for i, idx := range matchIndexes {
		if idx != -1 {
			ms1 = append(ms1, minS[i])
		}
	}
	for i, f := range matchFlags {
		if f {
			ms2 = append(ms2, maxS[i])
		}
	}
	for i := range ms1 {
		if ms1[i] != ms2[i] {
			halfTransp++
		}
	}
	n := len(minS)
	if n > 4 {
		n = 4
	}
	for i := 0; i < n; i++ {
		if first[i] != second[i] {
			break
		}
		prefix++
	}
	return matches, halfTransp, prefix
}
