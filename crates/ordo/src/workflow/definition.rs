//! What a workflow says: its states, the transitions between them, who may fire each, what must
//! be filled in first, and what happens as a result.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::identity::role::Role;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    /// Lower-case identifier, e.g. `standard`.
    pub name: String,
    pub label: String,
    /// The state new orders start in.
    pub initial: String,
    pub states: Vec<StateDef>,
    pub transitions: Vec<Transition>,
    /// Effects applied when an order is created (e.g. reserving its stock).
    #[serde(default)]
    pub on_create: Vec<Effect>,
    /// Fields an order of this workflow must have when it is created.
    #[serde(default)]
    pub required_on_create: Vec<OrderField>,
    /// States in which an order's owner may still edit or delete it.
    #[serde(default)]
    pub editable_in: Vec<String>,
    /// Transitions the background job fires once an order has waited long enough.
    #[serde(default)]
    pub timers: Vec<Timer>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StateDef {
    pub name: String,
    pub label: String,
    /// No transition leaves a terminal state.
    #[serde(default)]
    pub terminal: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    /// A verb, e.g. `finalize`, `cancel`.
    pub name: String,
    pub from: Vec<String>,
    pub to: String,
    /// Roles that may fire it on any order they can see.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Roles that may fire it on orders assigned to them.
    #[serde(default)]
    pub assignee_roles: Vec<Role>,
    /// Roles that may fire it on their own orders.
    #[serde(default)]
    pub owner_roles: Vec<Role>,
    /// Owners may fire it only within the cancellation window after creation.
    #[serde(default)]
    pub owner_window: bool,
    /// The background job (system actor) may fire it.
    #[serde(default)]
    pub system: bool,
    /// Fields that must be filled in (on the order or in the request) first.
    #[serde(default)]
    pub required_fields: Vec<OrderField>,
    #[serde(default)]
    pub effects: Vec<Effect>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum OrderField {
    Customer,
    Items,
    Assignee,
    ShippingAddress,
    TrackingNumber,
    Destination,
    MaterialCode,
    Party,
    Origin,
    OrderQuantity,
    ValidUntil,
    DispatchQuantity,
    CompletionNotes,
    CancelReason,
}

impl OrderField {
    /// The request field name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customerId",
            Self::Items => "items",
            Self::Assignee => "assigneeId",
            Self::ShippingAddress => "shippingAddress",
            Self::TrackingNumber => "trackingNumber",
            Self::Destination => "destination",
            Self::MaterialCode => "materialCode",
            Self::Party => "party",
            Self::Origin => "origin",
            Self::OrderQuantity => "orderQuantity",
            Self::ValidUntil => "validUntil",
            Self::DispatchQuantity => "dispatchQuantity",
            Self::CompletionNotes => "completionNotes",
            Self::CancelReason => "reason",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Effect {
    /// Set the items' stock aside (409 when short).
    ReserveStock,
    /// Return reserved stock.
    ReleaseStock,
    /// Take the items' remaining quantities out of stock.
    ShipStock,
    /// Record the completion time.
    StampCompleted,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Timer {
    pub from: String,
    pub to: String,
    /// Seconds an order must wait in `from`; when absent, `auto_advance_after_secs` applies.
    pub after_secs: Option<u64>,
}

/// Ten years: longer waits are mistakes, and would overflow date arithmetic.
pub const MAX_TIMER_SECS: u64 = 10 * 366 * 24 * 3600;

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.starts_with(|c: char| c.is_ascii_lowercase())
}

impl Workflow {
    pub fn state(&self, name: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.name == name)
    }

    pub fn is_editable_in(&self, state: &str) -> bool {
        self.editable_in.iter().any(|s| s == state)
    }

    /// Checks a definition: identifiers, known states, one transition per (from, to), every
    /// state reachable from the initial one, timers naming real transitions.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |field: String, message: String| errors.push(FieldError::new(field, message));
        if !is_identifier(&self.name) {
            err(
                "name".into(),
                "must be 1-32 lower-case letters, digits or '_', starting with a letter".into(),
            );
        }
        if self.label.trim().is_empty() || self.label.len() > 100 {
            err("label".into(), "must be 1-100 characters".into());
        }
        let mut names = HashSet::new();
        for (i, state) in self.states.iter().enumerate() {
            if !is_identifier(&state.name) {
                err(
                    format!("states[{i}].name"),
                    "must be 1-32 lower-case letters, digits or '_'".into(),
                );
            }
            if !names.insert(state.name.as_str()) {
                err(
                    format!("states[{i}].name"),
                    format!("{} is listed twice", state.name),
                );
            }
        }
        if self.states.is_empty() {
            err("states".into(), "must list at least one state".into());
        }
        // Bounds that keep a definition small enough to store and cheap to evaluate.
        if self.states.len() > 50 {
            err("states".into(), "at most 50 states".into());
        }
        if self.transitions.len() > 200 {
            err("transitions".into(), "at most 200 transitions".into());
        }
        if self.timers.len() > 20 {
            err("timers".into(), "at most 20 timers".into());
        }
        if self.states.iter().any(|s| s.label.chars().count() > 100) {
            err(
                "states".into(),
                "state labels are at most 100 characters".into(),
            );
        }
        if self.transitions.iter().any(|t| t.from.len() > 50) {
            err(
                "transitions".into(),
                "a transition leaves from at most 50 states".into(),
            );
        }

        if !names.contains(self.initial.as_str()) {
            err(
                "initial".into(),
                format!("{} is not one of the states", self.initial),
            );
        }
        let mut pairs = HashSet::new();
        for (i, t) in self.transitions.iter().enumerate() {
            if !is_identifier(&t.name) {
                err(
                    format!("transitions[{i}].name"),
                    "must be 1-32 lower-case letters, digits or '_'".into(),
                );
            }
            if !names.contains(t.to.as_str()) {
                err(
                    format!("transitions[{i}].to"),
                    format!("{} is not one of the states", t.to),
                );
            }
            if t.from.is_empty() {
                err(
                    format!("transitions[{i}].from"),
                    "must list at least one state".into(),
                );
            }
            for from in &t.from {
                if !names.contains(from.as_str()) {
                    err(
                        format!("transitions[{i}].from"),
                        format!("{from} is not one of the states"),
                    );
                } else if self.state(from).is_some_and(|s| s.terminal) {
                    err(
                        format!("transitions[{i}].from"),
                        format!("{from} is terminal"),
                    );
                }
                if !pairs.insert((from.clone(), t.to.clone())) {
                    err(
                        format!("transitions[{i}]"),
                        format!("a transition from {from} to {} exists already", t.to),
                    );
                }
            }
            if t.roles.is_empty()
                && t.assignee_roles.is_empty()
                && t.owner_roles.is_empty()
                && !t.system
            {
                err(
                    format!("transitions[{i}].roles"),
                    "nobody could fire this transition".into(),
                );
            }
        }
        for (i, state) in self.editable_in.iter().enumerate() {
            if !names.contains(state.as_str()) {
                err(
                    format!("editableIn[{i}]"),
                    format!("{state} is not one of the states"),
                );
            }
        }
        if self.state(&self.initial).is_some_and(|s| s.terminal) {
            err(
                "initial".into(),
                format!(
                    "{} is terminal; orders would be over at birth",
                    self.initial
                ),
            );
        }
        for (i, state) in self.editable_in.iter().enumerate() {
            if self.state(state).is_some_and(|s| s.terminal) {
                err(format!("editableIn[{i}]"), format!("{state} is terminal"));
            }
        }
        for (i, effect) in self.on_create.iter().enumerate() {
            if *effect != Effect::ReserveStock {
                err(
                    format!("onCreate[{i}]"),
                    "only reserveStock can happen when an order is created".into(),
                );
            }
        }
        for (i, timer) in self.timers.iter().enumerate() {
            if timer.after_secs.is_some_and(|s| s > MAX_TIMER_SECS) {
                err(
                    format!("timers[{i}].afterSecs"),
                    format!("at most {MAX_TIMER_SECS} (ten years)"),
                );
            }
            let exists = self
                .transitions
                .iter()
                .any(|t| t.to == timer.to && t.from.contains(&timer.from) && t.system);
            if !exists {
                err(
                    format!("timers[{i}]"),
                    format!("no system transition from {} to {}", timer.from, timer.to),
                );
            }
        }
        // Every state must be reachable from the initial one.
        let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
        for t in &self.transitions {
            for from in &t.from {
                edges.entry(from.as_str()).or_default().push(t.to.as_str());
            }
        }
        let mut seen = HashSet::from([self.initial.as_str()]);
        let mut queue = VecDeque::from([self.initial.as_str()]);
        while let Some(state) = queue.pop_front() {
            for next in edges.get(state).into_iter().flatten() {
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        for state in &self.states {
            if names.contains(self.initial.as_str()) && !seen.contains(state.name.as_str()) {
                err(
                    "states".into(),
                    format!("{} cannot be reached from {}", state.name, self.initial),
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}
