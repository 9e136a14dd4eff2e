//! How many subscriptions one client holds open at once: each is a connection and a task for
//! as long as it lasts, so a client past the cap is refused (429) rather than served.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use crate::{error::ProtocolError, lock};

/// Open subscriptions per client key (its address, as for rate limits).
#[derive(Default)]
pub(crate) struct SubscriptionSlots {
    open: Mutex<HashMap<String, usize>>,
}

/// One open subscription; dropping it (the stream ended, or its client went away) frees it.
pub(crate) struct Slot {
    slots: Arc<SubscriptionSlots>,
    key: String,
}

impl SubscriptionSlots {
    /// A slot for `key`, unless it holds `limit` already.
    pub(crate) fn take(self: &Arc<Self>, key: String, limit: usize) -> Result<Slot, ProtocolError> {
        let mut open = lock(&self.open);
        let count = open.entry(key.clone()).or_default();
        if *count >= limit {
            return Err(ProtocolError::TooManySubscriptions { limit: u32::try_from(limit).unwrap_or(u32::MAX) });
        }
        *count += 1;
        Ok(Slot { slots: self.clone(), key })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = lock(&self.slots.open);
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holds_at_most_the_limit_and_a_dropped_slot_is_free_again() {
        let slots = Arc::new(SubscriptionSlots::default());
        let first = slots.take("a".into(), 2).unwrap();
        let _second = slots.take("a".into(), 2).unwrap();
        assert_eq!(slots.take("a".into(), 2).err(), Some(ProtocolError::TooManySubscriptions { limit: 2 }));
        assert!(slots.take("b".into(), 2).is_ok(), "per client");
        drop(first);
        assert!(slots.take("a".into(), 2).is_ok());
    }
}
