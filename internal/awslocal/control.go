package awslocal

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// controlPrefix is the path of the HTTP control API:
//
//	GET    /_awslocal/health        {"account":..., "region":...}
//	GET    /_awslocal/calls         recorded calls (?operation=X filters)
//	DELETE /_awslocal/calls         forget them
//	GET    /_awslocal/faults        active faults
//	POST   /_awslocal/faults        add a fault: {"service","operation","kind","count","latency":"250ms","code","status"}
//	DELETE /_awslocal/faults        clear faults
//	GET    /_awslocal/sns/messages  published messages
//	DELETE /_awslocal/sns/messages  forget them
//	POST   /_awslocal/seed          seed a fixture (YAML or JSON body)
//	GET    /_awslocal/events        events accepted by EventBridge PutEvents
//	DELETE /_awslocal/events        forget them
//	GET    /_awslocal/securityhub/findings  Security Hub findings
//	GET    /_awslocal/organization  {"managementAccount","rootId","accounts":[...]}
//	POST   /_awslocal/organization/ous       add an OU: {"name","parent"} -> {"id"}
//	POST   /_awslocal/organization/accounts  add a member: {"id","name","parent"}
//	POST   /_awslocal/roles/deny    make AssumeRole of a role deny: {"account","roleName"}
//	DELETE /_awslocal/roles/deny    allow it again (same body)
//	POST   /_awslocal/s3/buckets    make a bucket: {"name","region"}
const controlPrefix = "/_awslocal/"

// faultRequest is Fault with a human latency ("250ms").
type faultRequest struct {
	Service   string    `json:"service"`
	Operation string    `json:"operation"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Kind      FaultKind `json:"kind"`
	Count     int       `json:"count"`
	Latency   string    `json:"latency"`
	Code      string    `json:"code"`
	Status    int       `json:"status"`
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path[len(controlPrefix):]
	switch {
	case path == "health" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]string{"account": s.account, "region": s.defaultRegion})
	case path == "calls" && r.Method == http.MethodGet:
		calls := s.Calls()
		if op := r.URL.Query().Get("operation"); op != "" {
			kept := calls[:0]
			for _, c := range calls {
				if c.Operation == op {
					kept = append(kept, c)
				}
			}
			calls = kept
		}
		writeJSON(w, http.StatusOK, calls)
	case path == "calls" && r.Method == http.MethodDelete:
		s.ResetCalls()
		w.WriteHeader(http.StatusNoContent)
	case path == "faults" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.Faults())
	case path == "faults" && r.Method == http.MethodPost:
		var fr faultRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&fr); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decode fault: " + err.Error()})
			return
		}
		f := Fault{Service: fr.Service, Operation: fr.Operation, Account: fr.Account, Region: fr.Region, Kind: fr.Kind, Count: fr.Count, Code: fr.Code, Status: fr.Status}
		if fr.Latency != "" {
			d, err := time.ParseDuration(fr.Latency)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("latency: %v", err)})
				return
			}
			f.Latency = d
		}
		if err := s.InjectFault(f); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusCreated, f)
	case path == "faults" && r.Method == http.MethodDelete:
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	case path == "sns/messages" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.SNSMessages())
	case path == "sns/messages" && r.Method == http.MethodDelete:
		s.ResetSNSMessages()
		w.WriteHeader(http.StatusNoContent)
	case path == "events" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.PutEvents())
	case path == "events" && r.Method == http.MethodDelete:
		s.ResetPutEvents()
		w.WriteHeader(http.StatusNoContent)
	case path == "securityhub/findings" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.SecurityHubFindings())
	case path == "seed" && r.Method == http.MethodPost:
		data, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		f, err := ParseFixture(data)
		if err == nil {
			err = s.Seed(f)
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case strings.HasPrefix(path, "organization") || path == "roles/deny" || path == "s3/buckets":
		s.serveOrgControl(w, r, path)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": r.Method + " " + r.URL.Path + " is not a control endpoint"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// orgRequest is the body of the organization, role and bucket endpoints.
type orgRequest struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Parent   string `json:"parent"`
	Account  string `json:"account"`
	RoleName string `json:"roleName"`
	Region   string `json:"region"`
}

func (s *Server) serveOrgControl(w http.ResponseWriter, r *http.Request, path string) {
	if path == "organization" && r.Method == http.MethodGet {
		writeJSON(w, http.StatusOK, map[string]any{"managementAccount": s.account, "rootId": s.RootID(), "accounts": s.OrganizationAccounts()})
		return
	}
	var in orgRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decode body: " + err.Error()})
		return
	}
	var err error
	var out any
	switch {
	case path == "organization/ous" && r.Method == http.MethodPost:
		var id string
		id, err = s.AddOU(in.Name, in.Parent)
		out = map[string]string{"id": id}
	case path == "organization/accounts" && r.Method == http.MethodPost:
		err = s.AddAccount(in.ID, in.Name, in.Parent)
		out = map[string]string{"id": in.ID}
	case path == "roles/deny" && r.Method == http.MethodPost:
		err = s.DenyRole(in.Account, in.RoleName)
	case path == "roles/deny" && r.Method == http.MethodDelete:
		s.AllowRole(in.Account, in.RoleName)
	case path == "s3/buckets" && r.Method == http.MethodPost:
		err = s.CreateBucket(in.Name, in.Region)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": r.Method + " " + r.URL.Path + " is not a control endpoint"})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if out == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}
