//! Decides whether an actor may move an order from one state to another now. Pure: the caller
//! supplies the facts and applies the effects.

use chrono::{DateTime, Duration, Utc};

use super::definition::{OrderField, Transition, Workflow};
use crate::identity::role::Role;

/// Who is asking, in relation to the order.
#[derive(Clone, Copy, Debug)]
pub struct Actor {
    /// None for the system (background jobs).
    pub role: Option<Role>,
    /// The order was created by, or belongs to the customer record of, this user.
    pub is_owner: bool,
    pub is_assignee: bool,
}

impl Actor {
    pub const SYSTEM: Actor = Actor {
        role: None,
        is_owner: false,
        is_assignee: false,
    };
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No transition leads from the current state to the requested one.
    NoSuchTransition { from: String, to: String },
    /// A transition exists, but this actor may not fire it.
    Forbidden,
    /// An owner's window to fire it closed at `deadline`.
    WindowClosed { deadline: DateTime<Utc> },
    /// Required fields are missing.
    MissingFields(Vec<OrderField>),
}

/// What the engine needs to know about the order.
pub struct Facts<'a> {
    pub status: &'a str,
    pub created_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
    /// The owner's window (e.g. the cancellation window).
    pub owner_window: Duration,
    pub has: &'a dyn Fn(OrderField) -> bool,
}

/// Whether `actor` may fire `t` by role, and if only as owner, whether the window is open.
fn permitted(t: &Transition, actor: &Actor, facts: &Facts) -> Result<(), Refusal> {
    let Some(role) = actor.role else {
        return if t.system {
            Ok(())
        } else {
            Err(Refusal::Forbidden)
        };
    };
    if t.roles.contains(&role) || (actor.is_assignee && t.assignee_roles.contains(&role)) {
        return Ok(());
    }
    if actor.is_owner && t.owner_roles.contains(&role) {
        if t.owner_window {
            let deadline = facts.created_at + facts.owner_window;
            if facts.now > deadline {
                return Err(Refusal::WindowClosed { deadline });
            }
        }
        return Ok(());
    }
    Err(Refusal::Forbidden)
}

/// The transition from the order's state to `to`, if `actor` may fire it now.
pub fn check<'w>(
    workflow: &'w Workflow,
    to: &str,
    actor: &Actor,
    facts: &Facts,
) -> Result<&'w Transition, Refusal> {
    let transition = workflow
        .transitions
        .iter()
        .find(|t| t.to == to && t.from.iter().any(|f| f == facts.status))
        .ok_or_else(|| Refusal::NoSuchTransition {
            from: facts.status.to_string(),
            to: to.to_string(),
        })?;
    permitted(transition, actor, facts)?;
    let missing: Vec<OrderField> = transition
        .required_fields
        .iter()
        .copied()
        .filter(|f| !(facts.has)(*f))
        .collect();
    if !missing.is_empty() {
        return Err(Refusal::MissingFields(missing));
    }
    Ok(transition)
}

/// The transitions `actor` may fire from the order's state now (ignoring missing fields, which
/// the request itself may supply).
pub fn allowed<'w>(workflow: &'w Workflow, actor: &Actor, facts: &Facts) -> Vec<&'w Transition> {
    workflow
        .transitions
        .iter()
        .filter(|t| t.from.iter().any(|f| f == facts.status))
        .filter(|t| permitted(t, actor, facts).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::builtin;
    use Role::*;

    const ROLES: [Option<Role>; 5] = [
        Some(Admin),
        Some(Manager),
        Some(Staff),
        Some(Customer),
        None,
    ];

    fn facts<'a>(status: &'a str, age_secs: i64, has: &'a dyn Fn(OrderField) -> bool) -> Facts<'a> {
        let now = Utc::now();
        Facts {
            status,
            created_at: now - Duration::seconds(age_secs),
            now,
            owner_window: Duration::seconds(300),
            has,
        }
    }

    /// The expected answer, written out independently of the engine: (workflow, from, to) ->
    /// who may fire it. `owner` and `assignee` mark relationship-based rights.
    fn expected(
        workflow: &str,
        from: &str,
        to: &str,
        role: Option<Role>,
        owner: bool,
        assignee: bool,
        young: bool,
    ) -> Option<bool> {
        let manager_or_admin = matches!(role, Some(Admin | Manager));
        let allowed = match (workflow, from, to) {
            ("standard", "pending", "processing") => manager_or_admin || role.is_none(),
            ("standard", "processing", "shipped") | ("standard", "shipped", "delivered") => {
                manager_or_admin
            }
            ("standard", "pending" | "processing", "cancelled") => {
                manager_or_admin || (role == Some(Customer) && owner && young)
            }
            ("rake", "draft", "finalized") | ("rake", "finalized", "completed") => manager_or_admin,
            ("service", "pending", "in_progress")
            | ("service", "pending" | "in_progress", "on_hold")
            | ("service", "on_hold", "in_progress")
            | ("service", "in_progress", "completed") => {
                manager_or_admin || (role == Some(Staff) && assignee)
            }
            ("service", "pending" | "in_progress" | "on_hold", "cancelled") => manager_or_admin,
            _ => return None,
        };
        Some(allowed)
    }

    #[test]
    fn every_state_transition_role_and_relationship() {
        let all_fields = |_: OrderField| true;
        let mut checked = 0;
        for workflow in builtin::all() {
            for from in &workflow.states {
                for to in &workflow.states {
                    for role in ROLES {
                        for (owner, assignee) in [(false, false), (true, false), (false, true)] {
                            for age in [10, 3600] {
                                let actor = Actor {
                                    role,
                                    is_owner: owner,
                                    is_assignee: assignee,
                                };
                                let f = facts(&from.name, age, &all_fields);
                                let got = check(&workflow, &to.name, &actor, &f);
                                let want = expected(
                                    &workflow.name,
                                    &from.name,
                                    &to.name,
                                    role,
                                    owner,
                                    assignee,
                                    age < 300,
                                );
                                checked += 1;
                                match (want, &got) {
                                    (None, Err(Refusal::NoSuchTransition { .. })) => {}
                                    (Some(true), Ok(t)) => assert_eq!(t.to, to.name),
                                    (Some(false), Err(Refusal::Forbidden | Refusal::WindowClosed { .. })) => {}
                                    _ => panic!(
                                        "{} {} -> {} as {role:?} owner={owner} assignee={assignee} age={age}: got {got:?}, want {want:?}",
                                        workflow.name, from.name, to.name
                                    ),
                                }
                                let listed = allowed(&workflow, &actor, &f)
                                    .iter()
                                    .any(|t| t.to == to.name);
                                assert_eq!(
                                    listed,
                                    want == Some(true),
                                    "allowed() disagrees for {} {} -> {}",
                                    workflow.name,
                                    from.name,
                                    to.name
                                );
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 1000);
    }

    #[test]
    fn owners_window_closes_with_a_deadline() {
        let workflow = builtin::standard();
        let all = |_: OrderField| true;
        let customer = Actor {
            role: Some(Customer),
            is_owner: true,
            is_assignee: false,
        };
        let f = facts("pending", 301, &all);
        match check(&workflow, "cancelled", &customer, &f) {
            Err(Refusal::WindowClosed { deadline }) => {
                assert_eq!(deadline, f.created_at + Duration::seconds(300))
            }
            other => panic!("{other:?}"),
        }
        // Another customer's order: forbidden whatever the time.
        let stranger = Actor {
            role: Some(Customer),
            is_owner: false,
            is_assignee: false,
        };
        assert_eq!(
            check(
                &workflow,
                "cancelled",
                &stranger,
                &facts("pending", 1, &all)
            ),
            Err(Refusal::Forbidden)
        );
    }

    #[test]
    fn guards_name_every_missing_field() {
        let rake = builtin::rake();
        let admin = Actor {
            role: Some(Admin),
            is_owner: false,
            is_assignee: false,
        };
        let only_destination = |f: OrderField| f == OrderField::Destination;
        match check(
            &rake,
            "finalized",
            &admin,
            &facts("draft", 1, &only_destination),
        ) {
            Err(Refusal::MissingFields(missing)) => {
                assert_eq!(missing.len(), 5);
                assert!(!missing.contains(&OrderField::Destination));
            }
            other => panic!("{other:?}"),
        }
        let none = |_: OrderField| false;
        assert_eq!(
            check(&rake, "completed", &admin, &facts("finalized", 1, &none)),
            Err(Refusal::MissingFields(vec![OrderField::DispatchQuantity]))
        );
        // The system may only fire system transitions.
        let std = builtin::standard();
        assert!(check(
            &std,
            "processing",
            &Actor::SYSTEM,
            &facts("pending", 1, &none)
        )
        .is_ok());
        assert_eq!(
            check(
                &std,
                "cancelled",
                &Actor::SYSTEM,
                &facts("pending", 1, &none)
            ),
            Err(Refusal::Forbidden)
        );
    }

    #[test]
    fn definitions_are_validated() {
        let mut wf = builtin::service();
        wf.name = "Bad Name".into();
        wf.transitions[0].to = "nowhere".into();
        wf.states.push(super::super::definition::StateDef {
            name: "orphan".into(),
            label: "Orphan".into(),
            terminal: true,
        });
        let errors = wf.validate().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"name"), "{fields:?}");
        assert!(fields.contains(&"transitions[0].to"), "{fields:?}");
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("orphan cannot be reached")),
            "{errors:?}"
        );
        let mut dup = builtin::standard();
        dup.transitions.push(dup.transitions[0].clone());
        assert!(dup
            .validate()
            .unwrap_err()
            .iter()
            .any(|e| e.message.contains("exists already")));
    }
}
