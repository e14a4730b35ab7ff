//! The load generator's HTTP client: hyper's pooled HTTP/1 client on plain TCP, sent request
//! targets as they are written. The general-purpose client used before parsed every URL (host,
//! IP address, path) and ran its redirect policy on every request: 40% of the load generator's
//! instructions per order read, taken from the server it measures on the same two cores.

use anyhow::{bail, Context};
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::uri::{Authority, Scheme};
use http::{HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// A request's outcome: the status and the whole body.
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Reply {
    /// The body of a successful response; otherwise what the server said, with the request.
    pub fn success(self, request: &str) -> Result<Bytes, String> {
        if self.status.is_success() {
            Ok(self.body)
        } else {
            Err(format!(
                "{request}: {} {}",
                self.status,
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            ))
        }
    }
}

#[derive(Clone)]
pub struct Client {
    pool: hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>,
    authority: Authority,
}

impl Client {
    /// A client for the server at `base` (`http://host:port`, served from the root).
    pub fn new(base: &str) -> anyhow::Result<Client> {
        let uri: Uri = base.parse().with_context(|| format!("not a URL: {base}"))?;
        if uri.scheme() != Some(&Scheme::HTTP) {
            bail!("the server's URL must start with http:// (got {base})");
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            bail!("the server's URL must be only http://host:port (got {base})");
        }
        let authority = uri
            .authority()
            .cloned()
            .with_context(|| format!("no host in {base}"))?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let pool = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(256)
            .build(connector);
        Ok(Client { pool, authority })
    }

    /// The `Authorization` header for an access token.
    pub fn bearer(token: &str) -> anyhow::Result<HeaderValue> {
        let mut value = HeaderValue::try_from(format!("Bearer {token}"))
            .context("the access token is not a valid header value")?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// Sends a request (`path` with its query) and answers the response's head; the caller reads
    /// the body as it streams.
    pub async fn open(
        &self,
        method: Method,
        path: &str,
        auth: Option<&HeaderValue>,
        json: Option<&Value>,
    ) -> anyhow::Result<Response<Incoming>> {
        let uri = Uri::builder()
            .scheme(Scheme::HTTP)
            .authority(self.authority.clone())
            .path_and_query(path)
            .build()
            .with_context(|| format!("not a request target: {path}"))?;
        let method_name = method.clone();
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(auth) = auth {
            request = request.header(AUTHORIZATION, auth);
        }
        let body = match json {
            Some(json) => {
                request = request.header(CONTENT_TYPE, "application/json");
                Bytes::from(serde_json::to_vec(json)?)
            }
            None => Bytes::new(),
        };
        let request = request.body(Full::new(body))?;
        // The client's own error names neither the request nor its cause: `{:#}` shows both.
        self.pool
            .request(request)
            .await
            .with_context(|| format!("{method_name} {path}"))
    }

    /// Sends a request and reads the whole response.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        auth: Option<&HeaderValue>,
        json: Option<&Value>,
    ) -> anyhow::Result<Reply> {
        let response = self.open(method, path, auth, json).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Reply { status, body })
    }
}

#[cfg(test)]
mod tests {
    use super::Client;

    #[test]
    fn takes_only_a_plain_http_server_address() {
        assert!(Client::new("http://127.0.0.1:8080").is_ok());
        assert!(Client::new("http://localhost:8080/").is_ok());
        for refused in [
            "https://127.0.0.1:8080",
            "127.0.0.1:8080",
            "http://127.0.0.1:8080/ordo",
            "http://127.0.0.1:8080/?x=1",
            "not a url",
        ] {
            let err = Client::new(refused).err();
            assert!(err.is_some(), "{refused} was taken");
        }
    }

    #[test]
    fn refuses_a_token_that_cannot_be_a_header() {
        assert!(Client::bearer("abc.def-ghi_jkl").is_ok());
        assert!(Client::bearer("line\nbreak").is_err());
    }
}
