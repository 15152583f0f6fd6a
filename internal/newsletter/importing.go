package newsletter

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
}
