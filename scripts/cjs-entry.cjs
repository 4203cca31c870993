// The CommonJS entry of the package (`require('parley')`), bundled by scripts/build-cjs.mjs into
// dist/cjs/index.cjs: as socket.io's, the export is callable (`require('parley')(httpServer,
// opts)` makes a Server) and carries every named export (`require('parley').Server`...).
const parley = require('../src/index.ts');

function parleyServer(srv, opts) {
  return new parley.Server(srv, opts);
}

module.exports = Object.assign(parleyServer, parley);
