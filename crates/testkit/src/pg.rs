use sqlx::{Connection, Executor, PgConnection};

/// The server tests create their databases on: `COUNTERSIGN_TEST_POSTGRES`
/// or the local one (`postgres://postgres@127.0.0.1:5432`).
pub fn postgres_admin_url() -> String {
    std::env::var("COUNTERSIGN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

/// A fresh, empty PostgreSQL database, dropped (with its connections) on drop.
#[derive(Debug)]
pub struct TempPostgres {
    name: String,
    url: String,
}

impl TempPostgres {
    pub async fn new() -> Self {
        let name = format!("cs_test_{}", crate::random_suffix());
        let mut admin = admin_connection().await;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let _ = admin.close().await;
        let url = format!("{}/{name}", postgres_admin_url());
        Self { name, url }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

async fn admin_connection() -> PgConnection {
    let url = format!("{}/postgres", postgres_admin_url());
    PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is needed for this test at {url} (set COUNTERSIGN_TEST_POSTGRES to change it): {e}")
    })
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop may run inside or outside a runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let mut admin = admin_connection().await;
                let _ = admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await;
                let _ = admin.close().await;
            });
        })
        .join();
    }
}
