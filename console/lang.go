package console

import (
	"net/http"

	"trustgate/policies"
)

// lang is the language a page is shown in: "en" or "zh" (Simplified
// Chinese). The reason codes come localized from the API; the console's
// own words are in texts.
type lang string

// pickLang takes the switch's cookie first, then Accept-Language.
func pickLang(r *http.Request) lang {
	if ck, err := r.Cookie(langCookie); err == nil && (ck.Value == "en" || ck.Value == "zh") {
		return lang(ck.Value)
	}
	if policies.PreferredLanguage(r.Header.Get("Accept-Language")) != "en" {
		return "zh"
	}
	return "en"
}

// tag is the Accept-Language the console sends to the API.
func (l lang) tag() string {
	if l == "zh" {
		return "zh-Hans"
	}
	return "en"
}

// HTML is the page's lang attribute.
func (l lang) HTML() string {
	if l == "zh" {
		return "zh-Hans"
	}
	return "en"
}

// T is a text in the page's language; a missing key shows as itself, so a
// gap is visible rather than blank.
func (l lang) T(key string) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	if l == "zh" && t[1] != "" {
		return t[1]
	}
	return t[0]
}

var texts = map[string][2]string{
	"brand":                 {"trustgate console", "trustgate 控制台"},
	"skip":                  {"Skip to content", "跳到正文"},
	"sign_in":               {"Sign in", "登录"},
	"sign_out":              {"Sign out", "退出"},
	"token":                 {"Access token", "访问令牌"},
	"token_help":            {"Paste the token you were given (it starts with tg_). It is checked on every page; a revoked token ends the session.", "粘贴分配给你的令牌（以 tg_ 开头）。每个页面都会重新校验；令牌被吊销后会话即失效。"},
	"token_refused":         {"That token is unknown, revoked or expired.", "该令牌不存在、已被吊销或已过期。"},
	"session_ended":         {"Your session has ended. Sign in again.", "会话已结束，请重新登录。"},
	"csrf_failed":           {"The form was stale or not sent from this console. Reload the page and try again.", "表单已过期或并非来自本控制台。请刷新页面后重试。"},
	"internal_error":        {"Something went wrong on our side.", "服务器内部出错。"},
	"error":                 {"Something is in the way", "无法完成"},
	"back_home":             {"Back to the start page", "返回首页"},
	"signed_in_as":          {"Signed in as", "当前用户"},
	"language":              {"Language", "语言"},
	"nav_home":              {"My apps", "我的小程序"},
	"nav_queue":             {"Review queue", "审核队列"},
	"nav_operations":        {"Operations", "运维"},
	"nav_audit":             {"Audit and decision log", "审计与决策日志"},
	"nav_policies":          {"Policies", "策略"},
	"my_apps":               {"My apps", "我的小程序"},
	"my_submissions":        {"My submissions", "我的提交"},
	"app":                   {"App", "小程序"},
	"name":                  {"Name", "名称"},
	"category":              {"Category", "类目"},
	"platform":              {"Platform", "平台"},
	"domains":               {"Registered domains (one per line)", "已登记域名（每行一个）"},
	"status":                {"Status", "状态"},
	"live_version":          {"Live version", "线上版本"},
	"none":                  {"none", "无"},
	"create_app":            {"Create an app", "创建小程序"},
	"create":                {"Create", "创建"},
	"upload":                {"Upload a new version", "上传新版本"},
	"version":               {"Version", "版本"},
	"notes":                 {"Notes for the reviewer", "给审核员的说明"},
	"package":               {"Package (zip)", "代码包（zip）"},
	"submit":                {"Submit", "提交"},
	"submission":            {"Submission", "提交"},
	"state":                 {"State", "状态"},
	"submitted":             {"Submitted", "提交时间"},
	"decided":               {"Decided", "决定时间"},
	"no_apps":               {"No apps yet: create one below.", "还没有小程序：请在下方创建。"},
	"no_submissions":        {"No submissions yet.", "还没有提交。"},
	"timeline":              {"Timeline", "时间线"},
	"decision":              {"Decision", "审核结论"},
	"reasons":               {"Reasons", "原因"},
	"how_to_fix":            {"How to fix", "修改建议"},
	"evidence":              {"Evidence", "证据"},
	"findings":              {"Findings", "扫描发现"},
	"no_findings":           {"The scan found nothing.", "扫描未发现问题。"},
	"severity":              {"Severity", "严重程度"},
	"where":                 {"Where", "位置"},
	"snippet":               {"Snippet", "代码片段"},
	"finding_new":           {"new", "新增"},
	"finding_known":         {"known", "已存在"},
	"fixed":                 {"Fixed since the live version", "相对线上版本已修复"},
	"compared_to":           {"Compared with the live version", "对比线上版本"},
	"queue_position":        {"Place in the review queue", "审核队列中的位置"},
	"ahead":                 {"tasks ahead", "个任务在前"},
	"estimate":              {"Expected decision", "预计审核完成"},
	"withdraw":              {"Withdraw this submission", "撤回此提交"},
	"withdraw_help":         {"A withdrawn submission is not reviewed any further.", "撤回后将不再继续审核。"},
	"appeal":                {"Appeal", "申诉"},
	"appeal_text":           {"Why the decision should change", "申诉理由"},
	"appeal_help":           {"One appeal per rejection; a senior reviewer who did not make the first decision decides it.", "每次驳回只能申诉一次，由未参与首次审核的高级审核员处理。"},
	"retry":                 {"Retry", "重试"},
	"failure":               {"Failure", "失败原因"},
	"workflow":              {"Workflow in the Temporal UI", "在 Temporal UI 中查看工作流"},
	"policy_version":        {"Policy version", "策略版本"},
	"queue":                 {"Review queue", "审核队列"},
	"queue_name":            {"Queue", "队列"},
	"all":                   {"all", "全部"},
	"filter":                {"Filter", "筛选"},
	"only_mine":             {"Only tasks I hold", "只看我认领的"},
	"priority":              {"Priority", "优先级"},
	"assignee":              {"Held by", "认领人"},
	"due":                   {"SLA", "时限"},
	"due_in":                {"due in", "剩余"},
	"overdue":               {"overdue by", "已超时"},
	"no_tasks":              {"The queue is empty.", "队列为空。"},
	"claim":                 {"Claim", "认领"},
	"release":               {"Release", "释放"},
	"open_task":             {"Open", "打开"},
	"tasks":                 {"Review tasks", "审核任务"},
	"kind":                  {"Kind", "类型"},
	"approvals":             {"Approvals", "已批准"},
	"four_eyes":             {"Four eyes: the second approval must come from a different reviewer.", "双人复核：第二个批准必须来自另一位审核员。"},
	"escalated":             {"escalated", "已升级"},
	"decide":                {"Your decision", "你的结论"},
	"outcome":               {"Outcome", "结论"},
	"approve":               {"Approve", "通过"},
	"reject":                {"Reject", "驳回"},
	"reason_codes":          {"Reason codes (for a rejection)", "原因代码（驳回时填写）"},
	"policy_codes":          {"Codes the policy also uses", "策略使用的其他代码"},
	"comment":               {"Comment for the developer", "给开发者的说明"},
	"send_decision":         {"Send decision", "提交结论"},
	"standing":              {"Developer standing", "开发者资质"},
	"related":               {"Related accounts", "关联账号"},
	"no_related":            {"No other developer's package or account is linked to this submission.", "没有其他开发者的代码包或账号与此提交关联。"},
	"linked_account":        {"Account linked by identity", "身份信息关联的账号"},
	"code_similarity":       {"Code similarity", "代码相似度"},
	"app_status":            {"App status", "小程序状态"},
	"taken_down_for":        {"Taken down for", "下架原因"},
	"submission_state":      {"Submission state", "提交状态"},
	"rejected_for":          {"Rejected for", "驳回原因"},
	"shares":                {"Shares", "共用"},
	"this_file":             {"This package", "本代码包"},
	"linked_file":           {"Linked package", "关联代码包"},
	"real_name":             {"Real-name verification", "实名认证"},
	"credit":                {"Credit score", "信用分"},
	"developer":             {"Developer", "开发者"},
	"developer_kind":        {"Developer kind", "开发者类型"},
	"risk_flags":            {"Risk flags", "风险标记"},
	"blacklisted":           {"Blacklisted", "黑名单"},
	"history":               {"History", "历史"},
	"rejections_90d":        {"Rejections in 90 days", "90 天内驳回次数"},
	"approvals_365d":        {"Approvals in a year", "一年内通过次数"},
	"live_apps":             {"Live apps", "上线小程序数"},
	"same_withdrawn":        {"Earlier withdrawals of this package", "此前撤回同一代码包次数"},
	"no_standing":           {"No policy evaluation recorded yet.", "尚无策略评估记录。"},
	"files":                 {"Files of the package", "代码包文件"},
	"browse_files":          {"Browse the package", "浏览代码包"},
	"file_binary":           {"Not text: not shown.", "非文本文件，不予显示。"},
	"file_truncated":        {"Only the beginning of the file is shown.", "只显示文件开头部分。"},
	"back_submission":       {"Back to the submission", "返回提交"},
	"failed":                {"Failed submissions", "失败的提交"},
	"failed_help":           {"These failed through a fault of ours, never because of the package. Retry once the cause is fixed.", "这些提交因平台内部故障失败，与代码包无关。排除故障后可重试。"},
	"no_failed":             {"No failed submissions.", "没有失败的提交。"},
	"audit":                 {"Audit log", "审计日志"},
	"actor":                 {"Actor", "操作人"},
	"action":                {"Action", "操作"},
	"object":                {"Object", "对象"},
	"at":                    {"At", "时间"},
	"search":                {"Search", "搜索"},
	"no_entries":            {"Nothing matches.", "没有匹配的记录。"},
	"decision_log":          {"Decision log of a submission", "提交的决策日志"},
	"submission_id":         {"Submission ID", "提交 ID"},
	"attempt":               {"Attempt", "次数"},
	"output":                {"Output", "输出"},
	"input":                 {"Input", "输入"},
	"policies_help":         {"A change starts as a draft copied from the active version. A draft must compile, pass its tests with enough coverage and be simulated before another compliance user approves it; then it can be activated.", "变更从复制当前生效版本的草稿开始。草稿须能编译、通过测试并达到覆盖率、完成模拟，再由另一位合规人员批准，之后方可启用。"},
	"create_draft":          {"New draft from the active version", "从生效版本新建草稿"},
	"no_policies":           {"No policy versions yet.", "还没有策略版本。"},
	"author":                {"Author", "作者"},
	"hash":                  {"Hash", "哈希"},
	"validation":            {"Validation", "校验"},
	"tests":                 {"Tests", "测试"},
	"simulation":            {"Simulation", "模拟"},
	"not_run":               {"not run", "未运行"},
	"passed":                {"passed", "通过"},
	"failed_report":         {"failed", "未通过"},
	"outdated":              {"made on an earlier content", "基于较早的内容"},
	"activate":              {"Activate", "启用"},
	"activated":             {"Activated", "启用于"},
	"retired":               {"Retired", "停用于"},
	"rollback_to":           {"Roll back to this version", "回滚到此版本"},
	"rollback_help":         {"Rolling back makes an earlier version decide again at once, in place of the active one. It is recorded in the audit log.", "回滚会立即让较早的版本重新生效，取代当前版本，并记入审计日志。"},
	"edit":                  {"Edit", "编辑"},
	"facts":                 {"Facts for the audit", "审计要素"},
	"editors":               {"Edited by", "编辑人"},
	"copied_from":           {"Copied from", "复制自"},
	"created":               {"Created", "创建于"},
	"updated":               {"Last changed", "最后修改"},
	"no_approvals":          {"No approval yet.", "尚无批准。"},
	"audit_of_version":      {"This version in the audit log", "审计日志中的此版本"},
	"edit_files":            {"Edit the draft's files", "编辑草稿文件"},
	"file_content":          {"Content of", "文件内容："},
	"save":                  {"Save this file", "保存此文件"},
	"saved":                 {"Saved. Validate, test and simulate again: the reports were made on the earlier content.", "已保存。请重新校验、测试和模拟：之前的报告基于较早的内容。"},
	"stale_edit":            {"Someone else changed this draft since you loaded it, so your text was not saved. Your text is kept below; the current version of the file is shown under it. Saving again replaces their version with yours.", "在你打开之后，其他人修改了此草稿，因此你的内容未保存。你的内容保留在下方，文件的当前版本显示在其下。再次保存将用你的内容替换他们的版本。"},
	"their_version":         {"The current version of the file", "文件的当前版本"},
	"compiles":              {"compiles", "可编译"},
	"does_not_compile":      {"does not compile", "无法编译"},
	"evaluated_by":          {"decided by", "判定引擎"},
	"validate":              {"Validate", "校验"},
	"run_tests":             {"Run the tests", "运行测试"},
	"coverage":              {"coverage", "覆盖率"},
	"coverage_floor":        {"at least", "至少"},
	"coverage_by_file":      {"Coverage by file", "各文件覆盖率"},
	"test":                  {"Test", "测试"},
	"result":                {"Result", "结果"},
	"requested_by":          {"Requested by", "申请人"},
	"sim_running":           {"The simulation is running; this page reloads itself every two seconds.", "模拟进行中；本页每两秒自动刷新。"},
	"evaluated":             {"Decisions evaluated", "已评估的决策"},
	"changed":               {"changed", "有变化"},
	"policy_errors":         {"policy errors", "策略错误"},
	"outcomes":              {"Outcomes, recorded → with this version", "结论：已记录 → 此版本"},
	"by_kind":               {"By developer kind", "按开发者类型"},
	"by_category":           {"By category", "按类目"},
	"from":                  {"From", "原结论"},
	"to":                    {"To", "新结论"},
	"count":                 {"Count", "数量"},
	"changed_submissions":   {"Changed submissions", "结论变化的提交"},
	"old_reasons":           {"Old reasons", "原理由"},
	"new_reasons":           {"New reasons", "新理由"},
	"no_changes":            {"No decision would change.", "没有决策会改变。"},
	"changes_truncated":     {"Only the newest changes are listed; the tables count them all.", "仅列出最新的变化；表格统计了全部。"},
	"last_n":                {"Simulate on the last N decisions", "基于最近 N 条决策模拟"},
	"last_n_help":           {"A number of recorded decisions from 1 to 100000.", "已记录决策的条数，1 到 100000。"},
	"simulate":              {"Simulate", "模拟"},
	"approval":              {"Approval", "批准"},
	"approval_help":         {"Another compliance user than the author and the editors approves a tested and simulated draft.", "经过测试和模拟的草稿须由作者和编辑人以外的合规人员批准。"},
	"approve_version":       {"Approve this version", "批准此版本"},
	"waivers":               {"Waivers", "豁免"},
	"waivers_help":          {"A waiver exempts one app from one scan rule until a date. It applies once a second compliance user approves it.", "豁免让某个应用在指定日期前免于某条扫描规则，须由另一位合规人员批准后生效。"},
	"grant_waiver":          {"Grant a waiver", "授予豁免"},
	"app_id":                {"App ID", "应用 ID"},
	"rule_id":               {"Rule ID", "规则 ID"},
	"rule_id_help":          {"A scan rule such as CODE-012.", "扫描规则，例如 CODE-012。"},
	"reason":                {"Reason", "理由"},
	"expires":               {"Expires", "到期"},
	"expires_help":          {"The last day the waiver applies (until the end of that day, UTC), at most a year away.", "豁免生效的最后一天（至当天结束，UTC），最长一年。"},
	"approved_by":           {"approved by", "批准人"},
	"approve_waiver":        {"Approve", "批准"},
	"no_waivers":            {"No waivers.", "没有豁免。"},
	"state_draft":           {"draft", "草稿"},
	"state_active":          {"active", "生效中"},
	"state_retired":         {"retired", "已停用"},
	"state_running":         {"running", "运行中"},
	"state_succeeded":       {"finished", "已完成"},
	"state_pending":         {"awaiting approval", "待批准"},
	"identity_home":         {"The identity role works through the API (PATCH /v1/developers/{id}); it has no pages here.", "身份服务角色通过 API（PATCH /v1/developers/{id}）工作，此处没有页面。"},
	"state_received":        {"received", "已接收"},
	"state_scanning":        {"scanning", "扫描中"},
	"state_evaluating":      {"evaluating", "评估中"},
	"state_in_review":       {"in review", "审核中"},
	"state_approved":        {"approved", "已通过"},
	"state_rejected":        {"rejected", "已驳回"},
	"state_withdrawn":       {"withdrawn", "已撤回"},
	"state_appealed":        {"appealed", "申诉中"},
	"state_failed":          {"failed", "失败"},
	"state_live":            {"live", "已上线"},
	"state_suspended":       {"suspended", "已下架"},
	"state_open":            {"open", "待认领"},
	"state_open,claimed":    {"open or claimed", "待认领或已认领"},
	"state_claimed":         {"claimed", "已认领"},
	"state_decided":         {"decided", "已决定"},
	"state_expired":         {"expired", "已过期"},
	"state_cancelled":       {"cancelled", "已取消"},
	"flows":                 {"Personal data flows", "个人信息流向"},
	"flows_help":            {"Where the code collects personal data, the places that carry it, and where it leaves the device.", "代码在何处收集个人信息、经过哪些位置、在何处传出设备。"},
	"flow_unknown_endpoint": {"a recipient the scan cannot name", "扫描无法确定的接收方"},
	"flow_unregistered":     {"not a registered domain", "未登记的域名"},
}

// State is a state's name in the page's language.
func (l lang) State(s any) string {
	key := "state_" + toString(s)
	if _, ok := texts[key]; ok {
		return l.T(key)
	}
	return toString(s)
}
