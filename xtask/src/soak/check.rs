//! The soak's end check, over sets of unique ids: every acknowledged upload stored exactly
//! once, and delivered exactly once to every live client.

use std::collections::{HashMap, HashSet};

/// What was stored for one sensor against what it was told was stored.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Stored {
    pub acked: usize,
    pub stored: usize,
    /// acknowledged, not stored
    pub lost: usize,
    /// stored more than once (extra copies)
    pub duplicated: usize,
    /// stored, never acknowledged (the answer was lost when the console was killed, and the
    /// soak stopped before the sensor sent it again): not an error
    pub unacknowledged: usize,
}

pub fn stored(acked: &HashSet<String>, stored_ids: &[String]) -> Stored {
    let distinct: HashSet<&String> = stored_ids.iter().collect();
    Stored {
        acked: acked.len(),
        stored: stored_ids.len(),
        lost: acked.iter().filter(|id| !distinct.contains(id)).count(),
        duplicated: stored_ids.len() - distinct.len(),
        unacknowledged: distinct.iter().filter(|id| !acked.contains(id.as_str())).count(),
    }
}

/// What one live client delivered against what was stored.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    /// acknowledged, never delivered
    pub missing: usize,
    /// delivered more than once
    pub repeated: usize,
    /// delivered, not stored
    pub phantom: usize,
}

pub fn delivered(acked: &HashSet<String>, stored_ids: &HashSet<String>, seen: &HashMap<String, u32>) -> Delivered {
    Delivered {
        missing: acked.iter().filter(|id| !seen.contains_key(id.as_str())).count(),
        repeated: seen.values().filter(|count| **count > 1).count(),
        phantom: seen.keys().filter(|id| !stored_ids.contains(id.as_str())).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Delivered, Stored, delivered, stored};
    use std::collections::{HashMap, HashSet};

    fn set(ids: &[&str]) -> HashSet<String> {
        ids.iter().map(|id| (*id).to_owned()).collect()
    }

    #[test]
    fn lost_duplicated_and_unacknowledged_are_told_apart() {
        let acked = set(&["a", "b", "c"]);
        let ids: Vec<String> = ["a", "a", "c", "d"].iter().map(|id| (*id).to_owned()).collect();
        assert_eq!(stored(&acked, &ids), Stored { acked: 3, stored: 4, lost: 1, duplicated: 1, unacknowledged: 1 });
        let all: Vec<String> = ["a", "b", "c"].iter().map(|id| (*id).to_owned()).collect();
        assert_eq!(stored(&acked, &all), Stored { acked: 3, stored: 3, ..Stored::default() });
    }

    #[test]
    fn live_deliveries_missing_repeated_and_phantom() {
        let acked = set(&["a", "b"]);
        let stored_ids = set(&["a", "b", "c"]);
        let seen: HashMap<String, u32> = [("a".to_owned(), 2), ("x".to_owned(), 1)].into_iter().collect();
        assert_eq!(delivered(&acked, &stored_ids, &seen), Delivered { missing: 1, repeated: 1, phantom: 1 });
    }
}
