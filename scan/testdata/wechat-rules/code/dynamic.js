function promisify(method) {
  return (options) => new Promise((resolve, reject) => wx[method]({ ...options, success: resolve, fail: reject }))
}
