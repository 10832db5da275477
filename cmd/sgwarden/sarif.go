package main

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/sgwarden/sgwarden/internal/policy"
)

// SARIF 2.1.0 output of `sgwarden check --output sarif`, for code scanning:
// one rule per policy check (rule ID = check ID), one result per finding.

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Suppressions        []sarifSuppress   `json:"suppressions,omitempty"`
	Properties          map[string]any    `json:"properties"`
}

type sarifSuppress struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical     `json:"physicalLocation"`
	LogicalLocations []sarifLogicalLoc `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogicalLoc struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind"`
}

// securitySeverity maps a check's severity to GitHub's security-severity
// score bands (critical >= 9, high >= 7, medium >= 4, low > 0).
var securitySeverity = map[policy.Severity]string{
	policy.SeverityCritical: "9.5", policy.SeverityHigh: "8.0", policy.SeverityMedium: "5.5",
	policy.SeverityLow: "3.0", policy.SeverityInfo: "1.0",
}

func sarifLevel(d policy.Decision) string {
	switch d {
	case policy.DecisionRevert, policy.DecisionWouldRevert:
		return "error"
	case policy.DecisionExempt:
		return "note"
	}
	return "warning" // alert, unknown
}

func writeSARIF(w io.Writer, rep *checkReport, eng *policy.Engine) error {
	drv := sarifDriver{Name: "sgwarden", InformationURI: "https://github.com/sgwarden/sgwarden", Rules: []sarifRule{}}
	index := map[string]int{}
	for _, c := range eng.Checks() {
		index[c.ID] = len(drv.Rules)
		level := "warning"
		if c.Action == policy.ActionRevert {
			level = "error"
		}
		help := c.Description + ". sgwarden " + string(c.Action) + "s such a rule at runtime: " +
			"narrow the peer (a known CIDR, a prefix list you own or a security group), drop the port, " +
			"or exempt the group with the sgwarden:exempt tag and a reason. docs/iac.md explains the findings."
		drv.Rules = append(drv.Rules, sarifRule{
			ID: c.ID, Name: c.ID,
			ShortDescription:     sarifText{Text: c.Description},
			FullDescription:      sarifText{Text: c.Description + " (severity " + string(c.Severity) + ", action " + string(c.Action) + ")"},
			Help:                 sarifText{Text: help, Markdown: "**" + c.Description + "**\n\n" + help},
			DefaultConfiguration: sarifConfig{Level: level},
			Properties:           map[string]any{"security-severity": securitySeverity[c.Severity], "tags": []string{"security", "network"}},
		})
	}
	results := []sarifResult{}
	for _, f := range rep.Findings {
		res := sarifResult{
			RuleID: f.Check, RuleIndex: index[f.Check], Level: sarifLevel(f.Decision),
			Message:             sarifText{Text: sarifMessage(&f)},
			PartialFingerprints: map[string]string{"sgwarden/v1": strings.Join([]string{f.Check, f.GroupID, f.ruleCell(), f.Direction, f.Protocol, f.Ports, f.Peer}, "|")},
			Properties:          map[string]any{"decision": f.Decision, "severity": f.Severity},
		}
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(f.Source)}}}
		if f.iacFields != nil {
			if f.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
			}
			if f.Resource != "" {
				loc.LogicalLocations = []sarifLogicalLoc{{Name: f.Resource, FullyQualifiedName: f.CDKPath, Kind: "resource"}}
			}
			if len(f.Unknown) > 0 {
				res.Properties["unknown"] = f.Unknown
			}
			if len(f.Conditions) > 0 {
				res.Properties["conditions"] = f.Conditions
			}
		}
		res.Locations = []sarifLocation{loc}
		if f.Decision == policy.DecisionExempt {
			res.Suppressions = []sarifSuppress{{Kind: "external", Justification: "exemption " + f.Exemption}}
		}
		results = append(results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{Driver: drv}, Results: results}},
	})
}

func sarifMessage(f *finding) string {
	var b strings.Builder
	b.WriteString(string(f.Decision) + ": " + f.Reason)
	if f.iacFields != nil {
		if f.Resource != "" {
			b.WriteString(" in " + f.Resource)
		}
		if f.CDKPath != "" {
			b.WriteString(" (" + f.CDKPath + ")")
		}
		b.WriteString(f.iacNote())
	}
	return b.String()
}

// sarifURI is a file name as a SARIF artifact URI: relative paths stay
// relative (code scanning resolves them against the repository root).
func sarifURI(name string) string {
	if name == "-" {
		return "stdin"
	}
	p := filepath.ToSlash(name)
	if filepath.IsAbs(name) {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: strings.TrimPrefix(p, "./")}).String()
}
