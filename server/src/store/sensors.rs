//! Sensors (credentials of the WAFs that upload) and the record of refused uploads.

use super::tables::{REJECTIONS, SENSORS, SENSORS_BY_URL_SECRET};
use super::{Store, StoreError};
use redb::{ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};

/// A sensor's credentials: an argon2id password for mlogc's Basic auth, and the SHA-256 of
/// the secret in its v3/Coraza ingest URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorRecord {
    pub password_hash: String,
    pub url_secret_sha256: String,
    /// Unix seconds.
    pub created_at: u64,
}

/// An upload answered 409 (it can never be accepted), kept so the operator sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    /// µs since the epoch.
    pub at: i64,
    pub sensor: String,
    /// From the upload's summary header, when it had one.
    pub unique_id: String,
    /// Declared or counted size in bytes.
    pub size: u64,
    pub reason: String,
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|error| StoreError::Corrupt(error.to_string()))
}

impl Store {
    /// Adds a sensor; `Ok(false)` when the name is taken.
    pub fn create_sensor(&self, name: &str, record: &SensorRecord, url_secret_sha256: &[u8; 32]) -> Result<bool, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let created = {
            let mut sensors = transaction.open_table(SENSORS)?;
            if sensors.get(name)?.is_some() {
                false
            } else {
                sensors.insert(name, serde_json::to_vec(record).expect("serialises").as_slice())?;
                transaction.open_table(SENSORS_BY_URL_SECRET)?.insert(url_secret_sha256.as_slice(), name)?;
                true
            }
        };
        transaction.commit()?;
        self.bump_sensor_generation();
        Ok(created)
    }

    /// The sensor called `name`.
    pub fn get_sensor(&self, name: &str) -> Result<Option<SensorRecord>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let sensors = transaction.open_table(SENSORS)?;
        sensors.get(name)?.map(|value| decode(value.value())).transpose()
    }

    /// Every sensor, sorted by name.
    pub fn list_sensors(&self) -> Result<Vec<(String, SensorRecord)>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let sensors = transaction.open_table(SENSORS)?;
        let mut listed = Vec::new();
        for entry in sensors.iter()? {
            let (name, value) = entry?;
            listed.push((name.value().to_owned(), decode(value.value())?));
        }
        Ok(listed)
    }

    /// Removes a sensor's credentials (its events stay); `Ok(false)` if unknown.
    pub fn remove_sensor(&self, name: &str) -> Result<bool, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let removed = {
            let mut sensors = transaction.open_table(SENSORS)?;
            let removed = sensors.remove(name)?.map(|value| decode::<SensorRecord>(value.value())).transpose()?;
            if let Some(record) = &removed
                && let Ok(hash) = hex::decode(&record.url_secret_sha256)
            {
                transaction.open_table(SENSORS_BY_URL_SECRET)?.remove(hash.as_slice())?;
            }
            removed.is_some()
        };
        transaction.commit()?;
        self.bump_sensor_generation();
        Ok(removed)
    }

    /// Replaces both secrets of a sensor; `Ok(false)` if unknown.
    pub fn rotate_sensor(&self, name: &str, password_hash: &str, url_secret_sha256: &[u8; 32]) -> Result<bool, StoreError> {
        let transaction = self.database()?.begin_write()?;
        let rotated = {
            let mut sensors = transaction.open_table(SENSORS)?;
            let existing = sensors.get(name)?.map(|value| decode::<SensorRecord>(value.value())).transpose()?;
            match existing {
                None => false,
                Some(mut record) => {
                    let mut by_url = transaction.open_table(SENSORS_BY_URL_SECRET)?;
                    if let Ok(old) = hex::decode(&record.url_secret_sha256) {
                        by_url.remove(old.as_slice())?;
                    }
                    by_url.insert(url_secret_sha256.as_slice(), name)?;
                    record.password_hash = password_hash.to_owned();
                    record.url_secret_sha256 = hex::encode(url_secret_sha256);
                    sensors.insert(name, serde_json::to_vec(&record).expect("serialises").as_slice())?;
                    true
                }
            }
        };
        transaction.commit()?;
        self.bump_sensor_generation();
        Ok(rotated)
    }

    /// The sensor whose ingest-URL secret hashes to `hash`.
    pub fn find_sensor_by_url_secret(&self, hash: &[u8; 32]) -> Result<Option<String>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let by_url = transaction.open_table(SENSORS_BY_URL_SECRET)?;
        Ok(by_url.get(hash.as_slice())?.map(|name| name.value().to_owned()))
    }

    /// Records a refused upload (durably: the sensor has given up on it).
    pub fn record_rejection(&self, rejection: &Rejection) -> Result<(), StoreError> {
        let transaction = self.database()?.begin_write()?;
        {
            let mut rejections = transaction.open_table(REJECTIONS)?;
            let mut key = rejection.at.max(0) as u64;
            while rejections.get(key)?.is_some() {
                key += 1;
            }
            rejections.insert(key, serde_json::to_vec(rejection).expect("serialises").as_slice())?;
        }
        transaction.commit()?;
        Ok(())
    }

    /// The most recent refused uploads, newest first.
    pub fn list_rejections(&self, limit: usize) -> Result<Vec<Rejection>, StoreError> {
        let transaction = self.database()?.begin_read()?;
        let rejections = transaction.open_table(REJECTIONS)?;
        let mut listed = Vec::new();
        for entry in rejections.iter()?.rev().take(limit) {
            let (_, value) = entry?;
            listed.push(decode(value.value())?);
        }
        Ok(listed)
    }
}
