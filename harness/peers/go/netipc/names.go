package netipc

import (
	"fmt"
	"strconv"
	"unicode/utf16"
)

// FNV-1a 64-bit (NP-3).
const (
	fnvOffsetBasis uint64 = 0xcbf29ce484222325
	fnvPrime       uint64 = 0x00000100000001B3
	maxPipeName           = 256 // UTF-16 units Windows accepts
)

func fnv1a64(data []byte) uint64 {
	h := fnvOffsetBasis
	for _, b := range data {
		h ^= uint64(b)
		h *= fnvPrime
	}
	return h
}

// nameError is a broken naming rule (NP-2, NP-4).
type nameError struct {
	rule   string
	detail string
}

func (e *nameError) Error() string { return e.rule + ": " + e.detail }

// ValidateService applies NP-4: only [A-Za-z0-9-_.], never empty.
func ValidateService(service string) error {
	if service == "" {
		return &nameError{"service_name_empty", "service_name: expected at least one character, got an empty name"}
	}
	index := 0
	for _, r := range service {
		ok := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') ||
			r == '-' || r == '_' || r == '.'
		if !ok {
			return &nameError{"service_name_bad_char",
				fmt.Sprintf("service_name: expected only [A-Za-z0-9-_.], got %s at index %d", strconv.QuoteRune(r), index)}
		}
		index++
	}
	return nil
}

// PipeName derives \\.\pipe\netipc-{hash:016x}-{service} (NP-2).
func PipeName(runDir, service string) (string, error) {
	if err := ValidateService(service); err != nil {
		return "", err
	}
	name := fmt.Sprintf(`\\.\pipe\netipc-%016x-%s`, fnv1a64([]byte(runDir)), service)
	if units := len(utf16.Encode([]rune(name))); units > maxPipeName {
		return "", &nameError{"pipe_name_too_long",
			fmt.Sprintf("pipe name: expected at most %d UTF-16 units, got %d", maxPipeName, units)}
	}
	return name, nil
}

// ShmNames derives the NP-15 object names (reported when a server selects
// an SHM profile; this library never creates them).
func ShmNames(runDir, service string, authToken uint64, profile uint32, sessionID uint64) (mapping, reqEvent, respEvent string) {
	input := runDir + "\n" + service + "\n" + strconv.FormatUint(authToken, 10)
	stem := fmt.Sprintf(`Local\netipc-%016x-%s-p%d-s%016x`, fnv1a64([]byte(input)), service, profile, sessionID)
	return stem + "-mapping", stem + "-req_event", stem + "-resp_event"
}
