package scan

// platformObjects are the globals through which mini-program code reaches
// the platform: wx on WeChat, my on Alipay. Both are checked whatever the
// platform, because shared code often carries both.
var platformObjects = map[string]bool{"wx": true, "my": true}

// privateInfos are WeChat's location interfaces that must be listed in
// app.json "requiredPrivateInfos" (since July 2022); undeclared, the call
// fails at run time and the release is refused.
var privateInfos = map[string]bool{
	"getFuzzyLocation":              true,
	"getLocation":                   true,
	"onLocationChange":              true,
	"startLocationUpdate":           true,
	"startLocationUpdateBackground": true,
	"chooseLocation":                true,
	"choosePoi":                     true,
	"chooseAddress":                 true,
}

// locationScopeAPIs need the scope.userLocation permission with a
// description in app.json on WeChat.
var locationScopeAPIs = map[string]bool{
	"getFuzzyLocation":              true,
	"getLocation":                   true,
	"startLocationUpdate":           true,
	"startLocationUpdateBackground": true,
}

// sensitiveAPIs maps privacy-sensitive interfaces of either platform to the
// kind of personal data they reach. They are evidence for the privacy
// review: the app's privacy statement must cover each kind.
var sensitiveAPIs = map[string]string{
	"getLocation":                    "location",
	"getFuzzyLocation":               "location",
	"chooseLocation":                 "location",
	"choosePoi":                      "location",
	"onLocationChange":               "location",
	"startLocationUpdate":            "location",
	"startLocationUpdateBackground":  "location",
	"chooseCity":                     "location",
	"chooseAddress":                  "address",
	"getAddress":                     "address",
	"addPhoneContact":                "contacts",
	"chooseContact":                  "contacts",
	"choosePhoneContact":             "contacts",
	"chooseAlipayContact":            "contacts",
	"getClipboardData":               "clipboard",
	"setClipboardData":               "clipboard",
	"getClipboard":                   "clipboard",
	"setClipboard":                   "clipboard",
	"getPhoneNumber":                 "phone number",
	"makePhoneCall":                  "phone number",
	"createCameraContext":            "camera",
	"chooseMedia":                    "camera or album",
	"chooseImage":                    "camera or album",
	"chooseVideo":                    "camera or album",
	"scanCode":                       "camera",
	"scan":                           "camera",
	"saveImageToPhotosAlbum":         "album",
	"saveVideoToPhotosAlbum":         "album",
	"startRecord":                    "microphone",
	"getRecorderManager":             "microphone",
	"openBluetoothAdapter":           "Bluetooth",
	"startBluetoothDevicesDiscovery": "Bluetooth",
	"createBLEConnection":            "Bluetooth",
	"getUserProfile":                 "user profile",
	"getUserInfo":                    "user profile",
	"getOpenUserInfo":                "user profile",
	"getAuthCode":                    "user identity",
	"chooseInvoiceTitle":             "invoice",
	"chooseLicensePlate":             "licence plate",
	"getWeRunData":                   "health",
	"startSoterAuthentication":       "biometrics",
	"startFacialRecognitionVerify":   "biometrics",
}

// paymentAPIs move money; the policy keys on their use (CODE-020).
var paymentAPIs = map[string]bool{
	"requestPayment":          true,
	"requestOrderPayment":     true,
	"requestPluginPayment":    true,
	"requestVirtualPayment":   true,
	"requestCommonPayment":    true,
	"requestMerchantTransfer": true,
	"tradePay":                true,
	"paySignCenter":           true,
}

// endpointAPIs take a URL their platform connects to; the keys are the
// option naming it.
var endpointAPIs = map[string]string{
	"request":       "url",
	"httpRequest":   "url",
	"uploadFile":    "url",
	"downloadFile":  "url",
	"connectSocket": "url",
}
