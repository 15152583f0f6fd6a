package newsletter

import "time"

// ImportPolicy decides what an import does with the addresses it finds.
type ImportPolicy struct {
	// Status for new addresses: active (default: staff vouch for the
	// consent) or pending.
	Status string
	// ActivatePending makes existing pending addresses active. Nothing
	// makes an unsubscribed, bounced, complained or erased address active.
	ActivatePending bool
	// Overwrite gives existing addresses the file's name (when not empty)
	// and merges its attributes into theirs.
	Overwrite bool
	// Source is the consent source logged for the import (SourceImport
	// when empty; the admin API passes SourceAPI).
	Source string
	// Operator, FileName and Checksum go into the import's record: who ran
	// it (an OS user, an API token, a staff address), the file's name as
	// given, and its SHA-256. Checksum is called once the rows have ended,
	// when the whole file has been read; nil records none.
	Operator string
	FileName string
	Checksum func() string
}

// ImportRecord is the evidence one import leaves for the addresses it
// added: who ran it, when, how, and from which file. Each of those
// subscribers points to it, and their consent log shows it as the event
// "imported".
type ImportRecord struct {
	ID        int64
	Source    string // SourceImport, SourceAPI or SourceCLI
	Operator  string
	FileName  string
	Checksum  string // hex SHA-256 of the file; empty when not known
	Status    string // what new addresses became: active or pending
	Rows      int64  // good rows in the file
	Added     int64  // new addresses it put on the list
	CreatedAt time.Time
}

// ImportResult counts what an import did with the rows it was given.
type ImportResult struct {
	Rows       int64 // good rows received
	Duplicates int64 // repeats of an address earlier in the same file
	Suppressed int64 // erased or blocked addresses, skipped
	Inserted   int64 // new on the list
	Activated  int64 // pending made active (ActivatePending)
	Updated    int64 // name or attributes overwritten (Overwrite)
	Existing   int64 // already on the list, the activated and updated among them
	ImportID   int64 // the import's record (ImportRecord.ID)
}
