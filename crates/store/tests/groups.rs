//! Groups and their members (migration 0025) on SQLite and PostgreSQL:
//! names unique without case, member counts, a user's groups by name, the
//! directory sync's set-membership write, and removals that take the
//! memberships with them.

mod harness;

use countersign_domain::model::group::{Group, GroupSource};
use countersign_domain::ports::GroupStore;
use countersign_domain::{StoreError, User, UserStore};
use countersign_store::SqlStore;
use harness::{postgres, sqlite};

const NOW: i64 = 1_700_000_000;

async fn user(store: &SqlStore, n: usize) -> String {
    let user = User::blank(format!("usr_{n}"), format!("user{n}"), NOW);
    store.insert_user(&user).await.expect("user");
    user.id
}

async fn groups_and_members(store: SqlStore) {
    let alice = user(&store, 1).await;
    let bob = user(&store, 2).await;
    let admins = Group::local("Admins", NOW);
    store.create_group(&admins).await.expect("create");
    let taken = store.create_group(&Group::local("admins", NOW)).await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    let contractors = Group::local("contractors", NOW);
    store.create_group(&contractors).await.expect("create");

    assert!(store
        .add_group_member(&admins.id, &alice)
        .await
        .expect("add"));
    assert!(!store
        .add_group_member(&admins.id, &alice)
        .await
        .expect("again"));
    assert!(store
        .add_group_member(&contractors.id, &alice)
        .await
        .expect("add"));
    assert!(store
        .add_group_member(&contractors.id, &bob)
        .await
        .expect("add"));

    let found = store
        .group_by_name("ADMINS")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(found, admins);
    let listed = store.list_groups().await.expect("list");
    let counts: Vec<(&str, i64)> = listed
        .iter()
        .map(|g| (g.group.name.as_str(), g.members))
        .collect();
    assert_eq!(counts, vec![("Admins", 1), ("contractors", 2)]);
    let names: Vec<String> = store
        .group_members(&contractors.id)
        .await
        .expect("members")
        .into_iter()
        .map(|m| m.username)
        .collect();
    assert_eq!(names, vec!["user1", "user2"]);
    assert_eq!(
        store.groups_of_user(&alice).await.expect("of"),
        vec!["Admins", "contractors"]
    );
    assert_eq!(
        store.groups_of_user(&bob).await.expect("of"),
        vec!["contractors"]
    );
    assert!(store
        .groups_of_user("usr_none\0")
        .await
        .expect("of")
        .is_empty());

    assert!(store
        .remove_group_member(&contractors.id, &alice)
        .await
        .expect("remove"));
    assert!(!store
        .remove_group_member(&contractors.id, &alice)
        .await
        .expect("again"));
    assert_eq!(
        store.groups_of_user(&alice).await.expect("of"),
        vec!["Admins"]
    );

    // Removing a user takes their memberships; removing a group takes its members.
    assert!(store.delete_user(&bob).await.expect("delete user"));
    assert!(store
        .group_members(&contractors.id)
        .await
        .expect("members")
        .is_empty());
    assert!(store.delete_group("admins").await.expect("delete"));
    assert!(!store.delete_group("admins").await.expect("again"));
    assert!(store.groups_of_user(&alice).await.expect("of").is_empty());
    assert!(store.group_by_name("Admins").await.expect("read").is_none());
}

async fn directory_groups_take_a_set(store: SqlStore) {
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for n in 1..=5 {
            ids.push(user(&store, n).await);
        }
        ids
    };
    let mut staff = Group::local("staff", NOW);
    staff.source = GroupSource::Directory;
    staff.directory_id = Some("uuid-staff".into());
    staff.dn = Some("cn=staff,ou=groups,dc=example,dc=org".into());
    store.create_group(&staff).await.expect("create");
    let mut twin = Group::local("other", NOW);
    twin.directory_id = Some("uuid-staff".into());
    assert!(matches!(
        store.create_group(&twin).await,
        Err(StoreError::Conflict(_))
    ));

    store
        .set_group_members(&staff.id, &ids[0..3])
        .await
        .expect("set");
    let members = |store: SqlStore| async move {
        let got = store.group_members("x").await.expect("none");
        assert!(got.is_empty());
    };
    members(store.clone()).await;
    let got: Vec<String> = store
        .group_members(&staff.id)
        .await
        .expect("members")
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    assert_eq!(got, ids[0..3].to_vec());
    store
        .set_group_members(&staff.id, &ids[2..5])
        .await
        .expect("set again");
    let got: Vec<String> = store
        .group_members(&staff.id)
        .await
        .expect("members")
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    assert_eq!(got, ids[2..5].to_vec());
    let read = store
        .group_by_name("Staff")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(read.source, GroupSource::Directory);
    assert_eq!(
        read.dn.as_deref(),
        Some("cn=staff,ou=groups,dc=example,dc=org")
    );
    store
        .set_group_members(&staff.id, &[])
        .await
        .expect("empty");
    assert!(store
        .group_members(&staff.id)
        .await
        .expect("members")
        .is_empty());
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::sqlite().await; super::$name(s).await; } )* }
        mod postgres_store { $( #[tokio::test] async fn $name() { let (s, _g) = super::postgres().await; super::$name(s).await; } )* }
    };
}

on_both!(groups_and_members, directory_groups_take_a_set);
