//! Exclusions in redb (`EXCLUSIONS`): analysts save drafts, admins approve them. Exclusion
//! numbers and the rule ids their `SecRule`s take come from `META` counters, so neither is
//! ever given twice (also after a delete: a sensor may still run the deleted rule).

use super::tables::*;
use super::views::{peek_counter, take_counter};
use super::{Store, StoreError};
use app::model::{Exclusion, ExclusionSpec, ExclusionStatus, Impact};
use redb::{ReadableDatabase, ReadableTable};

const NEXT_EXCLUSION_KEY: &str = "next_exclusion_id";
const NEXT_RULE_ID_KEY: &str = "next_exclusion_rule_id";

fn decode(bytes: &[u8]) -> Result<Exclusion, StoreError> {
    serde_json::from_slice(bytes).map_err(|error| StoreError::Corrupt(format!("exclusion: {error}")))
}

fn encode(exclusion: &Exclusion) -> Vec<u8> {
    serde_json::to_vec(exclusion).expect("exclusions serialise")
}

/// A new exclusion to save.
#[derive(Debug, Clone)]
pub struct NewExclusion<'a> {
    pub spec: &'a ExclusionSpec,
    pub comment: &'a str,
    pub user: &'a str,
    pub at: i64,
    pub impact: Impact,
    /// The range its rule id comes from (runtime and rule forms), inclusive.
    pub ids: (u32, u32),
}

impl Store {
    /// Every exclusion, oldest first.
    pub fn list_exclusions(&self) -> Result<Vec<Exclusion>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let mut exclusions = Vec::new();
        for entry in transaction.open_table(EXCLUSIONS)?.iter()? {
            exclusions.push(decode(entry?.1.value())?);
        }
        Ok(exclusions)
    }

    pub fn get_exclusion(&self, id: u64) -> Result<Option<Exclusion>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        transaction.open_table(EXCLUSIONS)?.get(id)?.map(|value| decode(value.value())).transpose()
    }

    /// The rule id the next saved exclusion would take from `ids` (`None`: the range is used up).
    pub fn next_exclusion_rule_id(&self, ids: (u32, u32)) -> Result<Option<u32>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let next = peek_counter(&transaction.open_table(META)?, NEXT_RULE_ID_KEY, u64::from(ids.0))?;
        Ok(u32::try_from(next).ok().filter(|next| *next <= ids.1))
    }

    /// Saves a proposed exclusion; `None` when it needs a rule id and the range is used up.
    pub fn save_exclusion(&self, new: NewExclusion) -> Result<Option<Exclusion>, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let conf_rule_id = match new.spec.form.placement() {
            app::model::Placement::Before => {
                let next = take_counter(&transaction, NEXT_RULE_ID_KEY, u64::from(new.ids.0))?;
                match u32::try_from(next).ok().filter(|next| *next <= new.ids.1) {
                    Some(id) => Some(id),
                    None => return Ok(None),
                }
            }
            app::model::Placement::After => None,
        };
        let id = take_counter(&transaction, NEXT_EXCLUSION_KEY, 1)?;
        let exclusion = Exclusion {
            id,
            spec: new.spec.clone(),
            comment: new.comment.trim().to_owned(),
            status: ExclusionStatus::Proposed,
            conf_rule_id,
            created_by: new.user.to_owned(),
            created_at: new.at,
            impact: new.impact,
            ..Exclusion::default()
        };
        transaction.open_table(EXCLUSIONS)?.insert(id, encode(&exclusion).as_slice())?;
        transaction.commit()?;
        Ok(Some(exclusion))
    }

    /// Approves exclusion `id` by `admin`; `None` when there is none, `Some(Err)` when it was
    /// approved already (the exclusion as it is).
    pub fn approve_exclusion(&self, id: u64, admin: &str, at: i64) -> Result<Option<Result<Exclusion, Exclusion>>, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let outcome = {
            let mut table = transaction.open_table(EXCLUSIONS)?;
            let Some(mut exclusion) = table.get(id)?.map(|value| decode(value.value())).transpose()? else { return Ok(None) };
            if exclusion.status == ExclusionStatus::Approved {
                return Ok(Some(Err(exclusion)));
            }
            exclusion.status = ExclusionStatus::Approved;
            exclusion.approved_by = Some(admin.to_owned());
            exclusion.approved_at = Some(at);
            table.insert(id, encode(&exclusion).as_slice())?;
            exclusion
        };
        transaction.commit()?;
        Ok(Some(Ok(outcome)))
    }

    /// Deletes exclusion `id` (its numbers are not given again); the deleted one, if any.
    pub fn delete_exclusion(&self, id: u64) -> Result<Option<Exclusion>, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let removed = transaction.open_table(EXCLUSIONS)?.remove(id)?.map(|value| decode(value.value())).transpose()?;
        transaction.commit()?;
        Ok(removed)
    }
}
