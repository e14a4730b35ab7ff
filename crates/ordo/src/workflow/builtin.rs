//! The built-in workflows, one per family of orders the reference systems describe.

use std::sync::{Arc, LazyLock};

use super::definition::{Effect, OrderField, StateDef, Timer, Transition, Workflow};
use crate::identity::role::Role::{self, *};

fn state(name: &str, label: &str, terminal: bool) -> StateDef {
    StateDef {
        name: name.into(),
        label: label.into(),
        terminal,
    }
}

fn transition(name: &str, from: &[&str], to: &str, roles: &[Role]) -> Transition {
    Transition {
        name: name.into(),
        from: from.iter().map(|s| s.to_string()).collect(),
        to: to.into(),
        roles: roles.to_vec(),
        assignee_roles: Vec::new(),
        owner_roles: Vec::new(),
        owner_window: false,
        system: false,
        required_fields: Vec::new(),
        effects: Vec::new(),
    }
}

/// E-commerce: pending -> processing -> shipped -> delivered, or cancelled while pending or
/// processing. Stock is reserved when the order is placed, so nothing is oversold; customers may
/// cancel their own order within the cancellation window; pending orders move on by themselves.
pub fn standard() -> Workflow {
    Workflow {
        name: "standard".into(),
        label: "Shop order".into(),
        initial: "pending".into(),
        states: vec![
            state("pending", "Pending", false),
            state("processing", "Processing", false),
            state("shipped", "Shipped", false),
            state("delivered", "Delivered", true),
            state("cancelled", "Cancelled", true),
        ],
        transitions: vec![
            Transition {
                system: true,
                ..transition("process", &["pending"], "processing", &[Admin, Manager])
            },
            Transition {
                required_fields: vec![OrderField::TrackingNumber],
                effects: vec![Effect::ShipStock],
                ..transition("ship", &["processing"], "shipped", &[Admin, Manager])
            },
            Transition {
                effects: vec![Effect::StampCompleted],
                ..transition("deliver", &["shipped"], "delivered", &[Admin, Manager])
            },
            Transition {
                owner_roles: vec![Customer],
                owner_window: true,
                required_fields: vec![OrderField::CancelReason],
                effects: vec![Effect::ReleaseStock],
                ..transition(
                    "cancel",
                    &["pending", "processing"],
                    "cancelled",
                    &[Admin, Manager],
                )
            },
        ],
        on_create: vec![Effect::ReserveStock],
        required_on_create: vec![OrderField::Items],
        editable_in: vec!["pending".into()],
        timers: vec![Timer {
            from: "pending".into(),
            to: "processing".into(),
            after_secs: None,
        }],
    }
}

/// Steel rake orders: a user drafts, an operations manager finalizes (stock is reserved) and
/// completes with the dispatched quantity.
pub fn rake() -> Workflow {
    Workflow {
        name: "rake".into(),
        label: "Rake order".into(),
        initial: "draft".into(),
        states: vec![
            state("draft", "Draft", false),
            state("finalized", "Finalized", false),
            state("completed", "Completed", true),
        ],
        transitions: vec![
            Transition {
                required_fields: vec![
                    OrderField::Destination,
                    OrderField::MaterialCode,
                    OrderField::Party,
                    OrderField::Origin,
                    OrderField::OrderQuantity,
                    OrderField::ValidUntil,
                ],
                effects: vec![Effect::ReserveStock],
                ..transition("finalize", &["draft"], "finalized", &[Admin, Manager])
            },
            Transition {
                required_fields: vec![OrderField::DispatchQuantity],
                effects: vec![Effect::ShipStock, Effect::StampCompleted],
                ..transition("complete", &["finalized"], "completed", &[Admin, Manager])
            },
        ],
        on_create: Vec::new(),
        required_on_create: vec![
            OrderField::Destination,
            OrderField::MaterialCode,
            OrderField::Party,
            OrderField::Origin,
            OrderField::OrderQuantity,
            OrderField::ValidUntil,
        ],
        editable_in: vec!["draft".into()],
        timers: Vec::new(),
    }
}

/// Service orders: staff work the orders assigned to them; orders can be put on hold and resumed.
pub fn service() -> Workflow {
    let staff = |t: Transition| Transition {
        assignee_roles: vec![Staff],
        ..t
    };
    Workflow {
        name: "service".into(),
        label: "Service order".into(),
        initial: "pending".into(),
        states: vec![
            state("pending", "Pending", false),
            state("in_progress", "In progress", false),
            state("on_hold", "On hold", false),
            state("completed", "Completed", true),
            state("cancelled", "Cancelled", true),
        ],
        transitions: vec![
            staff(Transition {
                required_fields: vec![OrderField::Assignee],
                ..transition("start", &["pending"], "in_progress", &[Admin, Manager])
            }),
            staff(transition(
                "hold",
                &["pending", "in_progress"],
                "on_hold",
                &[Admin, Manager],
            )),
            staff(transition(
                "resume",
                &["on_hold"],
                "in_progress",
                &[Admin, Manager],
            )),
            staff(Transition {
                effects: vec![Effect::ShipStock, Effect::StampCompleted],
                ..transition("complete", &["in_progress"], "completed", &[Admin, Manager])
            }),
            Transition {
                required_fields: vec![OrderField::CancelReason],
                effects: vec![Effect::ReleaseStock],
                ..transition(
                    "cancel",
                    &["pending", "in_progress", "on_hold"],
                    "cancelled",
                    &[Admin, Manager],
                )
            },
        ],
        on_create: Vec::new(),
        required_on_create: Vec::new(),
        editable_in: vec!["pending".into()],
        timers: Vec::new(),
    }
}

/// The built-ins, built once: every order read, placed or moved looks its workflow up, and
/// building one afresh costs dozens of small allocations.
static BUILT: LazyLock<[Arc<Workflow>; 3]> =
    LazyLock::new(|| [standard(), rake(), service()].map(Arc::new));

pub fn all() -> Vec<Workflow> {
    BUILT
        .iter()
        .map(|workflow| Workflow::clone(workflow))
        .collect()
}

pub fn find(name: &str) -> Option<Arc<Workflow>> {
    BUILT.iter().find(|w| w.name == name).cloned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn built_ins_are_valid() {
        for workflow in super::all() {
            assert_eq!(workflow.validate(), Ok(()), "{}", workflow.name);
        }
    }
}
