//! Wire types of the tuning assistant: alert groups, exclusion drafts with their impact, the
//! what-if threshold chart and exclusion sets.

use super::Severity;
use serde::{Deserialize, Serialize};

/// One rule alert of an event as tuning sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Alert {
    pub rule_id: u32,
    /// What the rule matched, as ModSecurity names it (`ARGS:comment`,
    /// `REQUEST_COOKIES:session`); empty when the entry did not say.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variable: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

/// Alerts of one rule on one variable, path and host (`GET /api/v1/tuning`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TuningGroup {
    pub rule_id: u32,
    pub variable: String,
    /// The request path (the URI up to `?`).
    pub path: String,
    /// Lowercased.
    pub host: String,
    /// Events with at least one such alert.
    pub events: u64,
    /// The alerts (an event may match one rule on one variable more than once).
    pub alerts: u64,
    /// Distinct client addresses of those events.
    pub client_ips: u64,
    /// Of those events, how many were blocked.
    pub blocked: u64,
    /// Event times (µs) of the first and last.
    pub first_seen: i64,
    pub last_seen: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paranoia_level: Option<u8>,
    /// The rule's `msg`, from its newest alert.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A few values the rule matched (from the newest events' raw entries).
    pub samples: Vec<String>,
    /// Ids of a few of the newest events of the group (the samples' events).
    pub sample_ids: Vec<u64>,
}

/// `GET /api/v1/tuning`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TuningAnswer {
    /// Largest first (events, then alerts).
    pub groups: Vec<TuningGroup>,
    /// Events with an alert in the window that passed the filters.
    pub events: u64,
    /// Every event of the window was counted (a scan stops at its budget).
    pub complete: bool,
}

/// How widely an exclusion reaches, narrowest first (the CRS documentation's forms).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionForm {
    /// `ctl:ruleRemoveTargetById` for one variable on one path (and host), at run time.
    #[default]
    Runtime,
    /// `SecRuleUpdateTargetById`: one variable everywhere, at start-up.
    Startup,
    /// `ctl:ruleRemoveById`: the whole rule on one path (and host).
    Rule,
}

impl ExclusionForm {
    pub const ALL: [ExclusionForm; 3] = [ExclusionForm::Runtime, ExclusionForm::Startup, ExclusionForm::Rule];

    pub fn as_str(self) -> &'static str {
        match self {
            ExclusionForm::Runtime => "runtime",
            ExclusionForm::Startup => "startup",
            ExclusionForm::Rule => "rule",
        }
    }

    pub fn parse(text: &str) -> Option<ExclusionForm> {
        ExclusionForm::ALL.into_iter().find(|form| form.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Where the rule goes relative to the CRS include.
    pub fn placement(self) -> Placement {
        match self {
            ExclusionForm::Runtime | ExclusionForm::Rule => Placement::Before,
            ExclusionForm::Startup => Placement::After,
        }
    }
}

/// Which CRS exclusion file a rule belongs in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// Before the CRS rules: `REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf`.
    #[default]
    Before,
    /// After them: `RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf`.
    After,
}

impl Placement {
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Before => "before",
            Placement::After => "after",
        }
    }

    pub fn parse(text: &str) -> Option<Placement> {
        [Placement::Before, Placement::After].into_iter().find(|placement| placement.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The CRS file this placement means.
    pub fn crs_file(self) -> &'static str {
        match self {
            Placement::Before => "REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf",
            Placement::After => "RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf",
        }
    }
}

/// What an exclusion takes away: a rule, on a variable (not for `rule`), on a path prefix and
/// host (not for `startup`), optionally for one sensor's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct ExclusionSpec {
    pub rule_id: u32,
    pub form: ExclusionForm,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The sensor whose configuration it is for (`None`: every sensor's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensor: Option<String>,
}

impl ExclusionSpec {
    /// The spec as its form uses it: no path or host for `startup`, no variable for `rule`,
    /// the host lowercased.
    pub fn normalized(mut self) -> ExclusionSpec {
        self.host = self.host.map(|host| host.to_ascii_lowercase());
        match self.form {
            ExclusionForm::Startup => (self.path, self.host) = (None, None),
            ExclusionForm::Rule => self.variable = None,
            ExclusionForm::Runtime => {}
        }
        self
    }
}

/// A count of events for one value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCount {
    pub value: String,
    pub events: u64,
}

/// What an exclusion would have changed over the stored events of a window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Impact {
    /// Events that lose at least one alert.
    pub events: u64,
    /// Alerts removed.
    pub alerts: u64,
    /// Blocked events whose inbound score, without the removed alerts, falls below the
    /// threshold they were judged with.
    pub unblocked: u64,
    /// Of the events, those an analyst marked `attack`: the exclusion would hide attacks.
    pub attack_marked: u64,
    pub hosts: Vec<ValueCount>,
    pub paths: Vec<ValueCount>,
    /// Distinct client addresses of the events.
    pub client_ips: u64,
    /// Every event of the window was looked at.
    pub complete: bool,
}

/// `GET /api/v1/tuning/draft`: an exclusion ready to paste, and its impact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    pub spec: ExclusionSpec,
    pub conf: String,
    pub placement: Placement,
    /// The rule id the exclusion takes (runtime and rule forms): the next free one of the
    /// configured range; saving the draft allocates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conf_rule_id: Option<u32>,
    /// What a wider form gives up, or why a draft needs care.
    pub warnings: Vec<String>,
    pub impact: Impact,
}

/// Where an exclusion stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionStatus {
    /// Saved by an analyst, waiting for an admin.
    #[default]
    Proposed,
    /// Approved by an admin: exported in the `.conf` files.
    Approved,
}

/// Per sensor: events after the approval that the exclusion covers, so it is not deployed there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undeployed {
    pub sensor: String,
    pub events: u64,
    pub last_seen: i64,
}

/// A saved exclusion (`/api/v1/exclusions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Exclusion {
    pub id: u64,
    pub spec: ExclusionSpec,
    pub comment: String,
    pub status: ExclusionStatus,
    /// The rule id its `SecRule` takes (runtime and rule forms); never given to another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conf_rule_id: Option<u32>,
    pub created_by: String,
    pub created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<i64>,
    /// The impact when it was saved.
    pub impact: Impact,
    /// Filled in by `GET /api/v1/exclusions` for approved ones.
    pub undeployed: Vec<Undeployed>,
}

/// Body of `POST /api/v1/exclusions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExclusionRequest {
    pub spec: ExclusionSpec,
    pub comment: String,
}

/// `GET /api/v1/exclusions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExclusionList {
    pub exclusions: Vec<Exclusion>,
}

/// The inbound thresholds the what-if chart shows.
pub const WHAT_IF_THRESHOLDS: [u32; 7] = [5, 7, 10, 15, 20, 25, 50];

/// One bar of the what-if chart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThresholdCount {
    pub threshold: u32,
    /// Events whose inbound score (saved exclusions applied) reaches the threshold.
    pub blocked: u64,
}

/// `GET /api/v1/tuning/what-if`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WhatIf {
    pub thresholds: Vec<ThresholdCount>,
    /// Events of the window that passed the filters.
    pub events: u64,
    /// Of those, events that carried an inbound score.
    pub scored: u64,
    /// Exclusions applied (the approved ones, and the proposed ones with `proposed=1`).
    pub exclusions: Vec<u64>,
    pub complete: bool,
}
