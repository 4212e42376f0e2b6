//! Saved views: `GET`/`POST /api/v1/views`, `PUT`/`DELETE /api/v1/views/{id}`. Every user
//! saves their own; only an admin shares one with everyone, and only its owner or an admin
//! changes or deletes it.

use super::errors::ApiError;
use super::json_body;
use crate::auth::Principal;
use crate::state::AppState;
use app::model::{Role, SavedView, ViewRequest};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};

/// Most views one user may own.
pub const MAX_VIEWS_PER_USER: usize = 200;

fn checked(principal: &Principal, body: &[u8]) -> Result<ViewRequest, ApiError> {
    let request: ViewRequest = json_body(body)?;
    if let Some(problem) = request.problem() {
        return Err(ApiError::BadRequest(problem));
    }
    if request.shared {
        principal.require(Role::Admin)?;
    }
    Ok(request)
}

/// `GET /api/v1/views`: the caller's views and the shared ones, by name.
pub async fn list_views(State(state): State<AppState>, principal: Principal) -> Result<Json<Vec<SavedView>>, ApiError> {
    let user = principal.name.clone();
    Ok(Json(state.blocking(move |store| store.list_views(&user)).await?))
}

/// `POST /api/v1/views` with a [`ViewRequest`].
pub async fn create_view(State(state): State<AppState>, principal: Principal, body: Bytes) -> Result<Json<SavedView>, ApiError> {
    let request = checked(&principal, &body)?;
    let user = principal.name.clone();
    let view = state
        .blocking(move |store| {
            let owned = store.list_views(&user)?.iter().filter(|view| view.owner == user).count();
            if owned >= MAX_VIEWS_PER_USER {
                return Ok(None);
            }
            store.create_view(&user, &request, crate::clock::unix_micros()).map(Some)
        })
        .await?
        .ok_or_else(|| ApiError::Conflict(format!("at most {MAX_VIEWS_PER_USER} views per user; delete one first")))?;
    tracing::info!(user = %principal.name, view = view.id, shared = view.shared, "view saved");
    Ok(Json(view))
}

/// The view `id` if `principal` may change it (its owner or an admin).
async fn owned(state: &AppState, principal: &Principal, id: u64) -> Result<SavedView, ApiError> {
    let view = state.blocking(move |store| store.get_view(id)).await?.ok_or_else(|| ApiError::Missing(format!("no view {id}")))?;
    if view.owner != principal.name {
        principal.require(Role::Admin)?;
    }
    Ok(view)
}

/// `PUT /api/v1/views/{id}` with a [`ViewRequest`].
pub async fn update_view(State(state): State<AppState>, principal: Principal, Path(id): Path<u64>, body: Bytes) -> Result<Json<SavedView>, ApiError> {
    let view = owned(&state, &principal, id).await?;
    let request = checked(&principal, &body)?;
    if view.shared && !request.shared {
        principal.require(Role::Admin)?;
    }
    let updated = state.blocking(move |store| store.update_view(id, &request)).await?.ok_or_else(|| ApiError::Missing(format!("no view {id}")))?;
    Ok(Json(updated))
}

/// `DELETE /api/v1/views/{id}`.
pub async fn delete_view(State(state): State<AppState>, principal: Principal, Path(id): Path<u64>) -> Result<Json<SavedView>, ApiError> {
    let view = owned(&state, &principal, id).await?;
    state.blocking(move |store| store.delete_view(id)).await?;
    tracing::info!(user = %principal.name, view = id, "view deleted");
    Ok(Json(view))
}
