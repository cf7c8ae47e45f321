export default { ok: true }
