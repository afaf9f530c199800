//! Errors of the JSON API: `{"error": {"code", "message", "fields"}}` with the
//! status that says what went wrong.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use vink_app::AppError;
use vink_domain::validation::FieldError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    fields: &'a [FieldError],
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such record")
    }
}

/// The one mapping from a use-case error to HTTP: its status and stable code.
/// The API and the UI both use it, so they never disagree; internal faults are
/// logged here (without personal data) and never shown.
pub fn classify(e: &AppError) -> (StatusCode, &'static str) {
    match e {
        AppError::Denied(_) => (StatusCode::FORBIDDEN, "forbidden"),
        AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        AppError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        AppError::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        AppError::Unavailable(m) => {
            tracing::warn!(error = %m, "database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
        AppError::Store(e) => {
            tracing::error!(error = %e, "store error");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
        AppError::Internal(m) => {
            tracing::error!(error = %m, "internal error");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let (status, code) = classify(&e);
        let message = match &e {
            AppError::Denied(r) => format!("access denied ({})", r.code()),
            AppError::Unauthenticated => "a valid bearer token is required".into(),
            AppError::NotFound => "no such record".into(),
            AppError::Conflict(m) => m.clone(),
            AppError::Invalid(_) => "the request has invalid fields".into(),
            AppError::RateLimited => "too many attempts, try again later".into(),
            AppError::Unavailable(_) => {
                "the database cannot take changes right now; nothing was saved, try again later"
                    .into()
            }
            AppError::Store(_) | AppError::Internal(_) => "internal error".into(),
        };
        let fields = match e {
            AppError::Invalid(errs) => errs.0,
            _ => Vec::new(),
        };
        ApiError {
            status,
            code,
            message,
            fields,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                fields: &self.fields,
            },
        };
        let mut resp = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("30"),
            );
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}
