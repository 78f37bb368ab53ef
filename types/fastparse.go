package types

// Fast paths for the spellings loads use most: plain decimals and
// canonical dates and datetimes. They accept a subset of what ParseValue
// accepts and answer ok=false for anything else, which then takes the
// general path; for what they accept they give the same value.

// parseDecimalFast parses [+-]digits[.digits] whose fraction fits the
// scale (no rounding needed).
func parseDecimalFast(t Type, s string) (Value, bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart := s[start:i]
	frac := ""
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		frac = s[fs:i]
	}
	if i != len(s) || (intPart == "" && frac == "") || len(frac) > t.Scale {
		return Value{}, false
	}
	hasPoint := i > start+len(intPart)
	canonical := s[0] != '+' && intPart != "" && (len(intPart) == 1 || intPart[0] != '0') &&
		len(frac) == t.Scale && hasPoint == (t.Scale > 0) && (!neg || !allZero(intPart, frac))
	if canonical {
		// Already canonical: the text is the value.
		if intPart != "0" && len(intPart) > t.Precision-t.Scale {
			return Value{}, false
		}
		return Value{Kind: Decimal, Str: s}, true
	}
	for len(intPart) > 1 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	if intPart == "" {
		intPart = "0"
	}
	if intPart != "0" && len(intPart) > t.Precision-t.Scale {
		return Value{}, false // the general path reports the range error
	}
	buf := make([]byte, 0, len(intPart)+t.Scale+2)
	zero := intPart == "0"
	for j := 0; j < len(frac); j++ {
		zero = zero && frac[j] == '0'
	}
	if neg && !zero {
		buf = append(buf, '-')
	}
	buf = append(buf, intPart...)
	if t.Scale > 0 {
		buf = append(buf, '.')
		buf = append(buf, frac...)
		for k := len(frac); k < t.Scale; k++ {
			buf = append(buf, '0')
		}
	}
	return Value{Kind: Decimal, Str: string(buf)}, true
}

func digits2(s string, i int) (int, bool) {
	a, b := s[i], s[i+1]
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return 0, false
	}
	return int(a-'0')*10 + int(b-'0'), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// canonicalDate reports whether s is a valid YYYY-MM-DD.
func canonicalDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	y1, ok1 := digits2(s, 0)
	y2, ok2 := digits2(s, 2)
	m, ok3 := digits2(s, 5)
	d, ok4 := digits2(s, 8)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return false
	}
	y := y1*100 + y2
	return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(m, y)
}

// canonicalDateTime reports whether s is a valid YYYY-MM-DD HH:MM:SS.
func canonicalDateTime(s string) bool {
	if len(s) != 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':' || !canonicalDate(s[:10]) {
		return false
	}
	h, ok1 := digits2(s, 11)
	mi, ok2 := digits2(s, 14)
	sec, ok3 := digits2(s, 17)
	return ok1 && ok2 && ok3 && h < 24 && mi < 60 && sec < 60
}

// allZero reports whether the digits of both parts are all zeros.
func allZero(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if a[i] != '0' {
			return false
		}
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '0' {
			return false
		}
	}
	return true
}

// parseIntFast parses [-]digits of at most 18 digits (no overflow).
func parseIntFast(s string) (int64, bool) {
	i, neg := 0, false
	if len(s) > 0 && s[0] == '-' {
		neg, i = true, 1
	}
	if i == len(s) || len(s)-i > 18 {
		return 0, false
	}
	var n int64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
