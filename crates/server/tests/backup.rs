//! Backup under load: `countersign backup` runs while workers keep the
//! server verifying codes; the backup is restored into a new data
//! directory, and there every code accepted before the backup started is
//! still refused, and new codes verify. Also: what restore refuses.
//!
//! The load comes from this test (24 workers on their own users, HOTP codes
//! in counter order), lighter than bench/run-verify.sh, so it can run in
//! every `scripts/test`.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

const USERS: usize = 96;
const WORKERS: usize = 24;
/// The backup starts after this many answers.
const BACKUP_AFTER: usize = 300;
const ENV: &[(&str, &str)] = &[
    ("COUNTERSIGN_VERIFY_LOCKOUT_THRESHOLD", "1000"),
    ("COUNTERSIGN_VERIFY_HOTP_LOOKAHEAD", "1000"),
];

/// One answered request: user, counter, when the answer came, accepted or not.
#[derive(Clone, Copy)]
struct Answer {
    user: usize,
    counter: u64,
    at: Instant,
    accepted: bool,
}

fn username(i: usize) -> String {
    format!("bk{i}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_every_accepted_code() {
    let db = Db::sqlite();
    let mut server = Server::with_env(&db, ENV);
    server.spawn().await;
    let key = server.create_key("backup", "verify,admin");
    let admin = server.api(&key);
    for i in 0..USERS {
        admin
            .post("/api/v1/users", json!({"username": username(i)}))
            .await
            .expect(201, "create a user");
        let path = format!("/api/v1/users/{}/tokens", username(i));
        admin
            .post(&path, json!({"type": "hotp", "secret": RFC_SECRET_B32}))
            .await
            .expect(201, "add the user's token");
    }
    let file = server
        .data_dir()
        .parent()
        .expect("a parent")
        .join(format!("backup-{}.csb", std::process::id()));
    let answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let workers = start_load(&server, &key, answers.clone(), stop.clone());
    while answers.lock().expect("answers").len() < BACKUP_AFTER {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    let arg = file.display().to_string();
    let output = tokio::task::block_in_place(|| server.cli(&["backup", &arg]));
    let finished = Instant::now();
    // Some more load after the backup, then stop.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.expect("a worker");
    }
    assert!(
        output.status.success(),
        "backup under load failed: {}",
        stderr(&output)
    );
    let answers = answers.lock().expect("answers").clone();
    let before: Vec<Answer> = answers
        .iter()
        .copied()
        .filter(|a| a.at < started && a.accepted)
        .collect();
    let during = answers
        .iter()
        .filter(|a| a.at >= started && a.at <= finished)
        .count();
    let after = answers.iter().filter(|a| a.at > finished).count();
    println!(
        "backup took {:?}: {} accepted before it, {during} answers while it ran, {after} after",
        finished - started,
        before.len()
    );
    assert!(
        before.len() >= BACKUP_AFTER / 2,
        "most answers before the backup were acceptances"
    );
    assert!(after > 0, "the load went on after the backup");
    server.stop();

    let restored = Server::with_env(&Db::sqlite(), ENV);
    let said = restored.cli_ok(&["restore", &arg]);
    assert!(
        said.contains(&format!("{USERS} token seed(s)")),
        "restore checked every seed: {said}"
    );
    let mut restored = restored;
    restored.spawn().await;
    let admin = restored.api(&key);
    for a in &before {
        let again = admin
            .verify(&username(a.user), &hotp(RFC_SECRET, a.counter))
            .await;
        assert_eq!(
            again["result"], "rejected",
            "user {} counter {} was accepted before the backup: the restored server must refuse it: {again}",
            a.user, a.counter
        );
    }
    for user in 0..USERS {
        let highest = answers
            .iter()
            .filter(|a| a.user == user)
            .map(|a| a.counter)
            .max()
            .unwrap_or(0);
        let fresh = admin
            .verify(&username(user), &hotp(RFC_SECRET, highest + 1))
            .await;
        assert_eq!(
            fresh["result"], "accepted",
            "a new code of user {user} verifies after the restore: {fresh}"
        );
    }
    let doctor = restored.cli(&["doctor"]);
    assert!(
        stdout(&doctor).contains("store.backup"),
        "doctor reports backups: {}",
        stdout(&doctor)
    );
    let _ = std::fs::remove_file(&file);
}

/// WORKERS tasks, each with its own users, each user's codes in counter order.
fn start_load(
    server: &Server,
    key: &str,
    answers: Arc<Mutex<Vec<Answer>>>,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..WORKERS)
        .map(|w| {
            let (api, answers, stop) = (server.api(key), answers.clone(), stop.clone());
            tokio::spawn(async move {
                let mine: Vec<usize> = (w..USERS).step_by(WORKERS).collect();
                let mut counter = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    for &user in &mine {
                        let reply = api
                            .verify(&username(user), &hotp(RFC_SECRET, counter))
                            .await;
                        let accepted = reply["result"] == "accepted";
                        let at = Instant::now();
                        answers.lock().expect("answers").push(Answer {
                            user,
                            counter,
                            at,
                            accepted,
                        });
                    }
                    counter += 1;
                }
            })
        })
        .collect()
}

#[tokio::test]
async fn restore_refuses_live_data_wrong_passphrases_and_damage() {
    let server = Server::new(&Db::sqlite());
    server.cli_ok(&["user", "add", "alice"]);
    server.cli_ok(&[
        "token",
        "add",
        "alice",
        "--type",
        "hotp",
        "--secret",
        RFC_SECRET_B32,
    ]);
    let dir = server.data_dir().parent().expect("a parent").to_path_buf();
    let tag = std::process::id();
    let (file, pass, wrong) = (
        dir.join(format!("sealed-{tag}.csb")),
        dir.join(format!("pass-{tag}")),
        dir.join(format!("wrong-{tag}")),
    );
    std::fs::write(&pass, "a long enough passphrase\n").expect("passphrase");
    std::fs::write(&wrong, "another long passphrase\n").expect("passphrase");
    let (file_s, pass_s, wrong_s) = (
        file.display().to_string(),
        pass.display().to_string(),
        wrong.display().to_string(),
    );
    server.cli_ok(&["backup", &file_s, "--passphrase-file", &pass_s]);
    let text = std::fs::read(&file).expect("the backup");
    let key = std::fs::read_to_string(server.data_dir().join("encryption.key")).expect("the key");
    assert!(
        !text
            .windows(key.trim().len())
            .any(|w| w == key.trim().as_bytes()),
        "the sealed backup does not hold the key in clear"
    );
    let again = server.cli(&["backup", &file_s]);
    assert!(
        stderr(&again).contains("already exists"),
        "a backup is never overwritten: {}",
        stderr(&again)
    );

    let live = server.cli(&["restore", &file_s, "--passphrase-file", &pass_s]);
    assert!(
        !live.status.success() && stderr(&live).contains("refuses to overwrite live data"),
        "{}",
        stderr(&live)
    );

    let other = Server::new(&Db::sqlite());
    let none = other.cli(&["restore", &file_s]);
    assert!(
        stderr(&none).contains("--passphrase-file"),
        "{}",
        stderr(&none)
    );
    let bad = other.cli(&["restore", &file_s, "--passphrase-file", &wrong_s]);
    assert!(
        stderr(&bad).contains("passphrase does not open"),
        "{}",
        stderr(&bad)
    );
    let mut damaged = text.clone();
    let last = damaged.len() - 10;
    damaged[last] ^= 0x55;
    let damaged_file = dir.join(format!("damaged-{tag}.csb"));
    std::fs::write(&damaged_file, &damaged).expect("write");
    let broken = other.cli(&[
        "restore",
        &damaged_file.display().to_string(),
        "--passphrase-file",
        &pass_s,
    ]);
    assert!(stderr(&broken).contains("checksum"), "{}", stderr(&broken));
    assert!(
        !other.data_dir().join("countersign.db").exists(),
        "nothing was restored from bad input"
    );

    other.cli_ok(&["restore", &file_s, "--passphrase-file", &pass_s]);
    let verified = other.cli(&["verify", "alice", &hotp(RFC_SECRET, 0)]);
    assert!(
        verified.status.success(),
        "the restored token verifies: {}",
        stdout(&verified)
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(other.data_dir().join("encryption.key"))
            .expect("key")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600, "the restored key is private");
    for f in [&file, &pass, &wrong, &damaged_file] {
        let _ = std::fs::remove_file(f);
    }
}

#[tokio::test]
async fn postgres_backups_keep_the_key_and_are_recorded() {
    let db = Db::postgres().await;
    let mut server = Server::new(&db);
    server.spawn().await;
    server.stop();
    let file = server.data_dir().join("key.csb").display().to_string();
    let refused = server.cli(&["backup", &file]);
    assert!(stderr(&refused).contains("pg_dump"), "{}", stderr(&refused));
    let doctor = stdout(&server.cli(&["doctor"]));
    assert!(doctor.contains("no backup was ever recorded"), "{doctor}");
    server.cli_ok(&["backup", "--key-only", &file]);
    let doctor = stdout(&server.cli(&["doctor"]));
    assert!(doctor.contains("PASS  store.backup"), "{doctor}");
}
