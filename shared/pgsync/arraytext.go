package pgsync

import (
	"bytes"
	"errors"

	"github.com/esconnect/esconnect/shared/jsonstr"
)

var errArraySyntax = errors.New("malformed array literal")

// arrayEncoder returns the encoder of an array type: the text form
// ({1,2,NULL}, {{"a b",c},{d,e}}, [0:1]={x,y}) becomes nested JSON arrays
// whose elements go through the element type's encoder. Should the literal
// not parse, the value keeps its text form rather than failing the row.
func arrayEncoder(elem encoder, delim byte) encoder {
	return func(dst, text []byte) []byte {
		body := text
		// Non-default lower bounds are written as a [lo:hi]=... prefix;
		// JSON arrays have no bounds, so the prefix is dropped.
		if len(body) > 0 && body[0] == '[' {
			eq := bytes.IndexByte(body, '=')
			if eq < 0 {
				return jsonstr.Append(dst, text)
			}
			body = body[eq+1:]
		}
		p := arrayParser{s: body, elem: elem, delim: delim}
		out, err := p.parse(dst)
		if err != nil || p.pos != len(p.s) {
			return jsonstr.Append(dst, text)
		}
		return out
	}
}

type arrayParser struct {
	s     []byte
	pos   int
	elem  encoder
	delim byte
	// scratch holds a quoted element after unescaping.
	scratch []byte
}

// parse reads one {...} level at pos and appends its JSON array.
func (p *arrayParser) parse(dst []byte) ([]byte, error) {
	if p.pos >= len(p.s) || p.s[p.pos] != '{' {
		return dst, errArraySyntax
	}
	p.pos++
	dst = append(dst, '[')
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
		return append(dst, ']'), nil
	}
	for n := 0; ; n++ {
		if n > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = p.element(dst); err != nil {
			return dst, err
		}
		if p.pos >= len(p.s) {
			return dst, errArraySyntax
		}
		switch p.s[p.pos] {
		case p.delim:
			p.pos++
		case '}':
			p.pos++
			return append(dst, ']'), nil
		default:
			return dst, errArraySyntax
		}
	}
}

func (p *arrayParser) element(dst []byte) ([]byte, error) {
	if p.pos >= len(p.s) {
		return dst, errArraySyntax
	}
	switch p.s[p.pos] {
	case '{':
		return p.parse(dst)
	case '"':
		p.pos++
		p.scratch = p.scratch[:0]
		for p.pos < len(p.s) {
			c := p.s[p.pos]
			switch c {
			case '\\':
				if p.pos+1 >= len(p.s) {
					return dst, errArraySyntax
				}
				p.scratch = append(p.scratch, p.s[p.pos+1])
				p.pos += 2
			case '"':
				p.pos++
				return p.elem(dst, p.scratch), nil
			default:
				p.scratch = append(p.scratch, c)
				p.pos++
			}
		}
		return dst, errArraySyntax
	}
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] != p.delim && p.s[p.pos] != '}' {
		p.pos++
	}
	tok := p.s[start:p.pos]
	// Output quotes an element that reads NULL, so a bare NULL is the null.
	if bytes.EqualFold(tok, []byte("NULL")) {
		return append(dst, nullJSON...), nil
	}
	return p.elem(dst, tok), nil
}
