//! Zadig's answers without data and its two error envelopes: `e.HTTPError`
//! values go out as HTTP 400 `{type, message, code, description, extra}`
//! (business codes 6xxx keep their code), plain Go errors as HTTP 500
//! `{message: "Internal Error: ", code: 500, description}`.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::mock::reply::Reply;
use crate::mock::request::MockRequest;

/// The store's error for a lookup that found nothing (an unknown project or environment).
pub const NO_DOCUMENTS: &str = "mongo: no documents in result";

/// The business errors of `pkg/tool/errors/errors.go` these operations raise.
#[derive(Debug, Clone, Copy)]
pub enum Business {
    CreateEnv,
    ListEnvs,
    UpdateEnv,
    UpdateEnvCfg,
    DeleteEnv,
    GetPortalService,
    SetupPortalService,
    RestartService,
    ScaleService,
    UpdateContainerImage,
    UpdateService,
    DeleteResource,
}

impl Business {
    fn code(self) -> u16 {
        match self {
            Business::CreateEnv => 6074,
            Business::ListEnvs => 6075,
            Business::UpdateEnv | Business::UpdateEnvCfg => 6076,
            Business::DeleteEnv => 6077,
            Business::GetPortalService | Business::SetupPortalService => 6079,
            Business::RestartService => 6080,
            Business::ScaleService => 6081,
            Business::UpdateContainerImage => 6082,
            Business::UpdateService => 6092,
            Business::DeleteResource => 6096,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Business::CreateEnv => "创建环境失败",
            Business::ListEnvs => "列出环境失败",
            Business::UpdateEnv => "更新环境失败",
            Business::UpdateEnvCfg => "更新环境资源配置失败",
            Business::DeleteEnv => "删除环境失败",
            Business::GetPortalService => "获取入口服务配置失败",
            Business::SetupPortalService => "设置入口服务失败",
            Business::RestartService => "重启服务失败",
            Business::ScaleService => "伸缩服务失败",
            Business::UpdateContainerImage => "更新服务镜像失败",
            Business::UpdateService => "更新服务失败",
            Business::DeleteResource => "删除对象资源失败",
        }
    }
}

/// 200 `{"message":"success"}`: a call without data.
pub fn success() -> Reply {
    Reply::json(200, json!({"message": "success"}))
}

/// 400 `ErrInvalidParam`: code 400, "Bad Request".
pub fn bad_request(description: impl Into<String>) -> Reply {
    envelope(400, 400, "Bad Request", description.into())
}

/// 400 carrying a business error's code and message.
pub fn business(error: Business, description: impl Into<String>) -> Reply {
    envelope(400, error.code(), error.message(), description.into())
}

/// `{type, message, code, description, extra}` with any status (fault injection uses other ones).
pub fn envelope(status: u16, code: u16, message: &str, description: String) -> Reply {
    Reply::json(
        status,
        json!({"type": "error", "message": message, "code": code, "description": description, "extra": {}}),
    )
}

/// 500 for a plain Go error.
pub fn internal(description: impl Into<String>) -> Reply {
    Reply::json(
        500,
        json!({"message": "Internal Error: ", "code": 500, "description": description.into()}),
    )
}

/// 500 "mongo: no documents in result": an unknown environment on a read.
pub fn no_documents() -> Reply {
    internal(NO_DOCUMENTS)
}

/// The validated JSON body as `T`; a value the schema allows but the server's
/// types cannot hold (a replica count beyond int32, ...) is a 400.
pub fn body<T: DeserializeOwned>(req: &MockRequest<'_>) -> Result<T, Reply> {
    let value = req.json.clone().unwrap_or(Value::Null);
    serde_path_to_error::deserialize(value).map_err(|e| {
        bad_request(format!(
            "body field `{}` is invalid: {}",
            e.path(),
            e.inner()
        ))
    })
}

/// The `projectKey` query (the core has checked that it is there).
pub fn project_key<'r>(req: &'r MockRequest<'_>) -> &'r str {
    req.query_param("projectKey").unwrap_or_default()
}

/// A path parameter (the core has checked that it is there).
pub fn path<'r>(req: &'r MockRequest<'_>, name: &str) -> &'r str {
    req.path_param(name).unwrap_or_default()
}
