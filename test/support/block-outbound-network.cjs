// Tests may only talk to loopback: any attempt to reach another host fails loudly.
const net = require('node:net');
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);
function hostOf(args) {
  const first = args[0];
  if (Array.isArray(first)) return hostOf(first);
  if (first && typeof first === 'object') return first.host ?? (first.path ? 'localhost' : 'localhost');
  if (typeof first === 'number') return typeof args[1] === 'string' ? args[1] : 'localhost';
  return 'localhost';
}
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  const host = hostOf(args);
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const isUnixSocket = first && typeof first === 'object' && typeof first.path === 'string';
  if (!isUnixSocket && !LOOPBACK.has(String(host))) {
    throw new Error(`Outbound network blocked in tests: ${host}`);
  }
  return originalConnect.apply(this, args);
};
