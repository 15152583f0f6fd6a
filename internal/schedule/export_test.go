package schedule

import "context"

// Check runs one catch-up check at the clock's current time, as a firing
// would, so tests need not wait for one.
func (s *Scheduler) Check(ctx context.Context) error {
	_, err := s.check(ctx, s.cfg.Now())
	return err
}
