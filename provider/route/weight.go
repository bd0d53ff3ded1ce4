package route

import "math"

// chooseWeight picks a target index in weight mode, -1 when every target is excluded.
// With a sticky header present it uses weighted rendezvous (highest random weight)
// hashing: each target scores -weight/ln(u), u a hash of (header value, target index)
// mapped into (0,1), and the highest score wins. The same value always lands on the same
// target (while the target set and exclusions are the same), shares over many values
// follow the weights, and excluding a target moves only the values that were on it.
func (s *Service) chooseWeight(in *Input) (int, string) {
	if s.sticky != "" && in.Header != nil {
		if v := in.Header(s.sticky); v != "" {
			h := fnv64(v)
			best, bestScore := -1, math.Inf(-1)
			for i := range s.targets {
				t := &s.targets[i]
				if excluded(in.Exclude, t.Provider) {
					continue
				}
				u := unit(mix64(h ^ (uint64(i+1) * 0x9e3779b97f4a7c15)))
				score := -float64(t.weight) / math.Log(u)
				if score > bestScore {
					best, bestScore = i, score
				}
			}
			return best, "sticky"
		}
	}
	total := s.total
	if len(in.Exclude) > 0 {
		total = 0
		for i := range s.targets {
			if !excluded(in.Exclude, s.targets[i].Provider) {
				total += s.targets[i].weight
			}
		}
		if total == 0 {
			return -1, ""
		}
	}
	r := int(in.float64() * float64(total))
	for i := range s.targets {
		t := &s.targets[i]
		if len(in.Exclude) > 0 && excluded(in.Exclude, t.Provider) {
			continue
		}
		if r < t.weight {
			return i, "weight"
		}
		r -= t.weight
	}
	// float rounding: the last eligible target
	for i := len(s.targets) - 1; i >= 0; i-- {
		if !excluded(in.Exclude, s.targets[i].Provider) {
			return i, "weight"
		}
	}
	return -1, ""
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix64 is the splitmix64 finalizer: a bijective avalanche over 64 bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// unit maps x to the open interval (0,1).
func unit(x uint64) float64 {
	return (float64(x>>11) + 0.5) / (1 << 53)
}
