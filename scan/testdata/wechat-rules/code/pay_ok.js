// Our own API object with a method of the same name is not the platform.
const api = { requestPayment: function () {} }
api.requestPayment()
