// Date and query-string helpers, as app templates and blog posts hand them
// out: copied into utils/ by many apps, with no banner and no npm folder.
function pad(n, width) {
  var s = String(n);
  while (s.length < width) {
    s = '0' + s;
  }
  return s;
}

function formatTime(date, pattern) {
  var parts = {
    yyyy: date.getFullYear(),
    MM: pad(date.getMonth() + 1, 2),
    dd: pad(date.getDate(), 2),
    HH: pad(date.getHours(), 2),
    mm: pad(date.getMinutes(), 2),
    ss: pad(date.getSeconds(), 2)
  };
  return pattern.replace(/yyyy|MM|dd|HH|mm|ss/g, function (key) {
    return parts[key];
  });
}

function relativeTime(then, now) {
  var seconds = Math.floor((now.getTime() - then.getTime()) / 1000);
  if (seconds < 60) {
    return 'just now';
  }
  if (seconds < 3600) {
    return Math.floor(seconds / 60) + ' minutes ago';
  }
  if (seconds < 86400) {
    return Math.floor(seconds / 3600) + ' hours ago';
  }
  return formatTime(then, 'yyyy-MM-dd');
}

function parseQuery(query) {
  var result = {};
  if (!query) {
    return result;
  }
  query.replace(/^\?/, '').split('&').forEach(function (pair) {
    var index = pair.indexOf('=');
    var key = index < 0 ? pair : pair.slice(0, index);
    var value = index < 0 ? '' : pair.slice(index + 1);
    if (key) {
      result[decodeURIComponent(key)] = decodeURIComponent(value);
    }
  });
  return result;
}

function buildQuery(params) {
  return Object.keys(params).filter(function (key) {
    return params[key] !== undefined && params[key] !== null;
  }).map(function (key) {
    return encodeURIComponent(key) + '=' + encodeURIComponent(params[key]);
  }).join('&');
}

function debounce(fn, wait) {
  var timer = null;
  return function () {
    var self = this;
    var args = arguments;
    clearTimeout(timer);
    timer = setTimeout(function () {
      fn.apply(self, args);
    }, wait);
  };
}

function throttle(fn, interval) {
  var last = 0;
  return function () {
    var current = Date.now();
    if (current - last >= interval) {
      last = current;
      fn.apply(this, arguments);
    }
  };
}

function deepClone(value) {
  if (value === null || typeof value !== 'object') {
    return value;
  }
  var copy = Array.isArray(value) ? [] : {};
  Object.keys(value).forEach(function (key) {
    copy[key] = deepClone(value[key]);
  });
  return copy;
}

module.exports = {
  formatTime: formatTime,
  relativeTime: relativeTime,
  parseQuery: parseQuery,
  buildQuery: buildQuery,
  debounce: debounce,
  throttle: throttle,
  deepClone: deepClone
};
