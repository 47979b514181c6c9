/** The remote write 2.0 decoder the tests' fake receivers use (it lives with the output, which needs it too). */
export { decodeRequestV2, RwV2Series } from '../../agent/report/remote-write/decode-v2';
