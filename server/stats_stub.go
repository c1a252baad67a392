package server

// resetStats sets the counters INFO reports back to zero, for CONFIG
// RESETSTAT. This is a stand-in until the full version in stats.go is
// merged; the lead deletes this file then.
func (s *Server) resetStats() {
	st := &s.stats
	st.connections.Store(0)
	st.rejectedConns.Store(0)
	st.commands.Store(0)
	st.netInput.Store(0)
	st.netOutput.Store(0)
	st.errorReplies.Store(0)
	st.unexpectedErrors.Store(0)
	st.clientQueryLimit.Store(0)
	st.errMu.Lock()
	st.errorCodes = map[string]int64{}
	st.errMu.Unlock()
	for _, cmd := range commands.list {
		cmd.stats.reset()
		for _, sub := range cmd.Subcommands {
			sub.stats.reset()
		}
	}
}

func (st *commandStats) reset() {
	st.calls.Store(0)
	st.usec.Store(0)
	st.rejected.Store(0)
	st.failed.Store(0)
}
