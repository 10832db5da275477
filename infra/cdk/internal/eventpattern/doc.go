// Package eventpattern matches JSON events against Amazon EventBridge event
// patterns. It exists so that tests can prove which sample events the
// synthesized rule would deliver, without AWS and without quamina (which the
// Go module proxy does not serve).
//
// It supports the subset of the pattern language that sgwarden's rules and
// tests need: exact values (strings, numbers, booleans, null), lists of
// alternatives, nested objects, and the operators "prefix", "suffix",
// "equals-ignore-case", "exists" and "anything-but" (a value, a list, or a
// "prefix"/"suffix" object). Any other operator is refused by Compile rather
// than silently ignored.
package eventpattern
