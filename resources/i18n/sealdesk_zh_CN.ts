<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>cli</name>
    <message>
        <source>empty PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ok</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>wrong PIN entered before — few tries left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>final try — one more wrong PIN locks the key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>locked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>must be changed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Driver not loaded: {path} — {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No USB key found. Run `sealdesk demo-key` to create the demo key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Manufacturer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Driver</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Slot</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PIN state</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>valid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>expired</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not yet valid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>INVALID</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not bound to this certificate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Format version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Picture</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Valid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Maker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Verification</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warning: the seal expires within 90 days.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Certificate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Serial</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Algorithm</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Issuer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Days to expiry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warning: the certificate expires within 90 days.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Demo key: its PIN is 123456. Change it with `sealdesk pin change`.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PIN for {label}: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No seals on this key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Current PIN: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New PIN: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New PIN again: </source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PIN changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Demo key “{label}” created with {count} seals.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Its PIN is {pin}. Change it with `sealdesk pin change`.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Demo root certificate: {path}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No USB key found: creating the demo key (SoftHSM) with three seals…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no PDF files given</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>give --at X,Y (mm), --keyword TEXT or --cross-page</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>--out must be a folder when stamping several files</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>[{n}/{total}] signed {src} → {dst}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warning: {text}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>[{n}/{total}] FAILED {src}: {error}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{ok} signed, {failed} failed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>yes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The document has no signatures.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>form filling</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>annotations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>other changes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signature {n}: {field}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Organisation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Seal verification</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signing time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Timestamp</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Intact</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signature valid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Covers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Later changes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Trusted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Certificate valid at signing time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VALID</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NOT VALID</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Result</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage log intact: {n} records checked.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Usage log NOT intact ({n} records checked):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The usage log is empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Approval</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Purpose</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SealDesk: stamp documents with the electronic seals on your USB key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exit codes: 0 success, 1 unexpected error, 2 invalid arguments, 3 key/PIN problem, 4 seal/certificate/policy refusal, 5 document problem, 6 usage-log problem, 7 network, 8 verification found a problem, 130 cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>list detected USB keys</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>machine-readable output</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>list the seals on a key, or inspect a seal file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>inspect a seal file (.esl) instead of the key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>verify as of this date (YYYY-MM-DD)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>serial number of the key to use</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>read the PIN from standard input</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>manage the key&apos;s PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>change the user PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>read current, new and repeated PIN as three lines from stdin</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(re)create the demo key in your data folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>stamp and sign PDF files with a seal from the key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PDF files or folders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>seal ID (or seal name) on the key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>page number (1-based)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>page list, e.g. 1-3,5,-1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>centre of the seal: X,Y in mm from the page&apos;s top-left corner</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>centre the seal on this text</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>stamp every match of the keyword, not only the first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>move the seal from the keyword by DX,DY mm</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cross-page seal (骑缝章) over the pages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>edge for the cross-page seal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>vertical centre of the cross-page seal in mm from the top</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>output file (or folder for several inputs)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>approval reference (用印审批号)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>purpose of the stamping</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>timestamp authority URL (PAdES B-T)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>verify the signatures and seals in a PDF</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PDF file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>trust this root certificate (PEM or DER); repeatable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>show or check the usage log (用印登记)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>first-run flow: demo key when no key is present, list keys and seals</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Error: {message}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>errors</name>
    <message>
        <source>An unexpected error occurred.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Invalid input: {what}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The operation was cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The USB key reported an error.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key driver {module} could not be loaded. Check that it is installed and matches this program&apos;s architecture (64-bit drivers for 64-bit SealDesk).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No USB key was found. Insert your key and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The USB key {token} was not found.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The USB key was removed during the operation. Nothing was written; insert it and retry.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PIN was not accepted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wrong PIN. {warning}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PIN is locked after too many wrong entries. Ask your seal administrator to unlock the key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The key requires you to change its PIN before use.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PIN does not meet the key&apos;s rules ({rule}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The two new PINs do not match.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The signing key for this seal was not found on the USB key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The USB key does not support the signature algorithm {mechanism}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The USB key could not make the signature.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The seal cannot be used.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The seal data is damaged or not in a supported format.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The seal maker&apos;s signature on the seal is not valid.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The electronic signature made with the seal is not valid: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The seal expired on {date}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The seal is valid only from {date}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The seal is not bound to this signing certificate.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The seal {seal} was not found.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The seal has been {status} by the seal authority.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The seal picture type {type} cannot be shown.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The certificate cannot be used.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The signing certificate expired on {date}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The signing certificate is valid only from {date}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The certificate is damaged or unreadable.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stamping is not allowed: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An official seal needs an approval reference (用印审批号) before use.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The document cannot be processed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The document {name} is damaged or not a PDF.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The document {name} is encrypted. Remove the password first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The document {name} is certified and its certification forbids further signatures.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Page {page} does not exist (the document has {count} pages).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The text “{keyword}” was not found in the document.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The seal cannot be placed there: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The signed file could not be written to {path}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The signed file must not replace the original document.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The usage log could not be written.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The usage log has been altered or damaged: {problem}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server {server} could not be reached.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server {server} sent an answer SealDesk does not understand.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Few tries left before the PIN locks.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last try: one more wrong PIN locks the key.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PIN is locked.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PIN must be changed.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>policy</name>
    <message>
        <source>The signing certificate expires in {days} days ({date}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The seal expires in {days} days ({date}).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>seal-kinds</name>
    <message>
        <source>Official seal (legal name)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Personal seal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duty seal (legal representative)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Contract seal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finance seal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Invoice seal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Internal department seal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Branch seal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Customs declaration seal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Audit seal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duty seal (finance head)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duty seal (other)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Other seal</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
