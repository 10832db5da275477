package iac

import (
	"errors"
	"fmt"
)

// ErrMalformed is what every *SyntaxError wraps, for errors.Is.
var ErrMalformed = errors.New("malformed input")

// ErrNotIaC says that an input is none of the formats this package reads.
var ErrNotIaC = errors.New("not a CloudFormation template, cdk synth output or Terraform plan")

// Location is where something is written in an input. Line and Column
// count from 1; zero means unknown.
type Location struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// String returns "file:line:column", leaving out what is unknown.
func (l Location) String() string {
	switch {
	case l.Line == 0:
		return l.File
	case l.Column == 0:
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	}
	return fmt.Sprintf("%s:%d:%d", l.File, l.Line, l.Column)
}

// SyntaxError is an input that cannot be parsed or does not have the
// shape its format requires.
type SyntaxError struct {
	Loc Location
	Msg string
}

func (e *SyntaxError) Error() string { return e.Loc.String() + ": " + e.Msg }

// Unwrap returns ErrMalformed.
func (e *SyntaxError) Unwrap() error { return ErrMalformed }
