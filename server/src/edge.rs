//! Middleware that does its work before and after the inner service, without
//! `axum::middleware::from_fn`'s price per request: `from_fn` boxes the rest of the stack
//! into a `Next` and the middleware's own future into another box, and clones the inner
//! service, for every request. Here the inner future is wrapped, unboxed.
//!
//! The request id, the metrics and the origin check are written this way: they were three
//! `from_fn` layers, and as such cost the companion 4,900 more instructions a request
//! (`bench/instructions`: 125.1k → 120.3k; `bench/README.md` has the figures).

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use pin_project_lite::pin_project;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// Work around a request: `before` sees the request (and may answer it instead of the
/// inner service), `after` sees the response along with what `before` returned.
pub(crate) trait Around: Clone + Send + Sync + 'static {
    /// What `before` hands to `after`.
    type Carry: Send + 'static;
    /// The answer to a request `before` refuses: a [`Response`], or [`Infallible`] for
    /// work that never refuses (and so can sit anywhere in a stack, whatever its body).
    type Refusal: Send + 'static;

    /// Runs on the way in; an `Err` is the answer, and the inner service is not called.
    fn before(&self, request: &mut Request) -> Result<Self::Carry, Self::Refusal>;

    /// Runs on the way out, on every response the inner service gives.
    fn after<B>(carry: Self::Carry, response: &mut http::Response<B>);
}

/// A refusal as a response with body `B`.
pub(crate) trait Answer<B> {
    fn answer(self) -> http::Response<B>;
}

impl<B> Answer<B> for Infallible {
    fn answer(self) -> http::Response<B> {
        match self {}
    }
}

impl Answer<Body> for Response {
    fn answer(self) -> Response {
        self
    }
}

/// The [`Layer`] for an [`Around`].
#[derive(Clone)]
pub(crate) struct AroundLayer<A>(pub(crate) A);

impl<S, A: Around> Layer<S> for AroundLayer<A> {
    type Service = AroundService<S, A>;

    fn layer(&self, inner: S) -> Self::Service {
        AroundService {
            inner,
            around: self.0.clone(),
        }
    }
}

/// The service an [`AroundLayer`] wraps around `S`.
#[derive(Clone)]
pub(crate) struct AroundService<S, A> {
    inner: S,
    around: A,
}

impl<S, A, B> Service<Request> for AroundService<S, A>
where
    S: Service<Request, Response = http::Response<B>>,
    A: Around,
    A::Refusal: Answer<B>,
{
    type Response = http::Response<B>;
    type Error = S::Error;
    type Future = AroundFuture<S::Future, A>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        match self.around.before(&mut request) {
            Ok(carry) => AroundFuture::Inner {
                inner: self.inner.call(request),
                carry: Some(carry),
            },
            Err(refusal) => AroundFuture::Refused {
                refusal: Some(refusal),
            },
        }
    }
}

pin_project! {
    /// The inner service's future, with `after` to run on its response; or the refusal
    /// `before` answered with instead.
    #[project = AroundProjection]
    pub(crate) enum AroundFuture<F, A: Around> {
        Inner {
            #[pin]
            inner: F,
            carry: Option<A::Carry>,
        },
        Refused {
            refusal: Option<A::Refusal>,
        },
    }
}

impl<F, A, B, E> Future for AroundFuture<F, A>
where
    F: Future<Output = Result<http::Response<B>, E>>,
    A: Around,
    A::Refusal: Answer<B>,
{
    type Output = Result<http::Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            AroundProjection::Inner { inner, carry } => {
                let mut response = std::task::ready!(inner.poll(cx))?;
                if let Some(carry) = carry.take() {
                    A::after(carry, &mut response);
                }
                Poll::Ready(Ok(response))
            }
            AroundProjection::Refused { refusal } => match refusal.take() {
                Some(refusal) => Poll::Ready(Ok(refusal.answer())),
                // Polled again after it answered: the caller's bug, and a future's
                // contract allows anything but unsafety. A server does not panic for it.
                None => Poll::Pending,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::ServiceExt;

    /// Refuses requests to `/no`; stamps what `before` saw on every other response.
    #[derive(Clone, Default)]
    struct Stamp(Arc<AtomicUsize>);

    impl Around for Stamp {
        type Carry = String;
        type Refusal = Response;

        fn before(&self, request: &mut Request) -> Result<String, Response> {
            self.0.fetch_add(1, Ordering::Relaxed);
            if request.uri().path() == "/no" {
                let mut refused = Response::new(Body::from("refused"));
                *refused.status_mut() = StatusCode::FORBIDDEN;
                return Err(refused);
            }
            request
                .headers_mut()
                .insert("x-seen", "yes".parse().unwrap());
            Ok(request.uri().path().to_owned())
        }

        fn after<B>(carry: String, response: &mut http::Response<B>) {
            response
                .headers_mut()
                .insert("x-path", carry.parse().unwrap());
        }
    }

    #[tokio::test]
    async fn before_and_after_wrap_the_inner_service_or_answer_instead() {
        let calls = Arc::new(AtomicUsize::new(0));
        let inner_calls = Arc::clone(&calls);
        let inner = tower::service_fn(move |request: Request| {
            inner_calls.fetch_add(100, Ordering::Relaxed);
            let seen = request.headers().contains_key("x-seen");
            async move { Ok::<_, Infallible>(Response::new(Body::from(seen.to_string()))) }
        });
        let stamp = Stamp::default();
        let service = AroundLayer(stamp.clone()).layer(inner);

        let request = Request::builder().uri("/yes").body(Body::empty()).unwrap();
        let response = service.clone().oneshot(request).await.unwrap();
        assert_eq!(response.headers()["x-path"], "/yes");
        let body = axum::body::to_bytes(response.into_body(), 64)
            .await
            .unwrap();
        assert_eq!(
            &body[..],
            b"true",
            "the inner service saw what before wrote"
        );

        let request = Request::builder().uri("/no").body(Body::empty()).unwrap();
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(!response.headers().contains_key("x-path"));
        assert_eq!(stamp.0.load(Ordering::Relaxed), 2, "before ran twice");
        assert_eq!(
            calls.load(Ordering::Relaxed),
            100,
            "the inner service ran once"
        );
    }
}
