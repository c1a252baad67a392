package acl

// ChannelPatterns returns what the user's selectors allow of channels, as
// Redis 7.0's ACLKillPubsubClientsIfNeeded sees them: all is set when any
// selector allows every channel; otherwise patterns are every selector's
// channel patterns, in order, repeats kept.
func (u *User) ChannelPatterns() (all bool, patterns []string) {
	for _, s := range u.selectors {
		if s.allChannels {
			return true, nil
		}
		patterns = append(patterns, s.channels...)
	}
	return false, patterns
}

// SetPubsubDefault sets what acl-pubsub-default gives the selectors that
// rules create from now on ("reset", "(...)"): every channel when all is
// set. Redis reads the directive when each rule applies, so a user made
// before CONFIG SET acl-pubsub-default follows the new value.
func (u *User) SetPubsubDefault(all bool) { u.pubsubAll = all }
