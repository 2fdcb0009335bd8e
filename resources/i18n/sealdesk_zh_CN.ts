<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About SealDesk</source>
        <translation>关于 SealDesk</translation>
    </message>
    <message>
        <source>Electronic seals (电子印章) on your USB key: stamp, sign and verify PDFs.</source>
        <translation>使用智能密码钥匙中的电子印章：为 PDF 盖章、签名和验章。</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
</context>
<context>
    <name>ApprovalDialog</name>
    <message>
        <source>Official seal</source>
        <translation>公章用印</translation>
    </message>
    <message>
        <source>“{seal}” is an official seal: give the approval reference of this use.</source>
        <translation>“{seal}”是公章：请填写本次用印的审批编号。</translation>
    </message>
    <message>
        <source>&amp;Approval reference:</source>
        <translation>审批编号(&amp;A)：</translation>
    </message>
    <message>
        <source>&amp;Purpose:</source>
        <translation>用印事由(&amp;P)：</translation>
    </message>
</context>
<context>
    <name>BatchWindow</name>
    <message>
        <source>{name} — cannot be used: {reason}</source>
        <translation>{name} — 不可使用：{reason}</translation>
    </message>
    <message>
        <source>Add documents</source>
        <translation>添加文档</translation>
    </message>
    <message>
        <source>Documents (*.pdf *.ofd)</source>
        <translation>文档 (*.pdf *.ofd)</translation>
    </message>
    <message>
        <source>Add the PDFs of a folder</source>
        <translation>添加文件夹中的 PDF</translation>
    </message>
    <message>
        <source>Folder for the signed copies</source>
        <translation>签章文件的保存文件夹</translation>
    </message>
    <message>
        <source>Checking the documents…</source>
        <translation>正在检查文档…</translation>
    </message>
    <message>
        <source>Stamping…</source>
        <translation>正在盖章…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Finished: {stamped} stamped, {skipped} skipped, {failed} failed, {cancelled} cancelled.</source>
        <translation>完成：已盖章 {stamped} 份，跳过 {skipped} 份，失败 {failed} 份，取消 {cancelled} 份。</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <source>checking…</source>
        <translation>检查中…</translation>
    </message>
    <message>
        <source>stamping…</source>
        <translation>盖章中…</translation>
    </message>
    <message>
        <source>done → {name}</source>
        <translation>完成 → {name}</translation>
    </message>
    <message>
        <source>skipped: already stamped</source>
        <translation>已跳过：文档已盖章</translation>
    </message>
    <message>
        <source>failed: {reason}</source>
        <translation>失败：{reason}</translation>
    </message>
    <message>
        <source>cancelled: nothing written</source>
        <translation>已取消：未写入任何文件</translation>
    </message>
    <message>
        <source>Batch stamping</source>
        <translation>批量盖章</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Add &amp;files…</source>
        <translation>添加文件(&amp;F)…</translation>
    </message>
    <message>
        <source>Add f&amp;older…</source>
        <translation>添加文件夹(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>移除(&amp;R)</translation>
    </message>
    <message>
        <source>You can also drop PDF files or folders here.</source>
        <translation>也可以把 PDF 文件或文件夹拖放到这里。</translation>
    </message>
    <message>
        <source>Seal and position</source>
        <translation>印章与位置</translation>
    </message>
    <message>
        <source>&amp;Key:</source>
        <translation>钥匙(&amp;K)：</translation>
    </message>
    <message>
        <source>S&amp;eal:</source>
        <translation>印章(&amp;E)：</translation>
    </message>
    <message>
        <source>A&amp;pproval reference:</source>
        <translation>审批单号(&amp;P)：</translation>
    </message>
    <message>
        <source>P&amp;urpose:</source>
        <translation>用途(&amp;U)：</translation>
    </message>
    <message>
        <source>&amp;Mode:</source>
        <translation>方式(&amp;M)：</translation>
    </message>
    <message>
        <source>Output fol&amp;der:</source>
        <translation>输出文件夹(&amp;D)：</translation>
    </message>
    <message>
        <source>Same spot on chosen pages</source>
        <translation>指定页面的同一位置</translation>
    </message>
    <message>
        <source>At a keyword</source>
        <translation>关键字处</translation>
    </message>
    <message>
        <source>Cross-page seal</source>
        <translation>骑缝章</translation>
    </message>
    <message>
        <source>Pa&amp;ges:</source>
        <translation>页码(&amp;G)：</translation>
    </message>
    <message>
        <source>Centre &amp;X (from left):</source>
        <translation>中心 &amp;X（距左边）：</translation>
    </message>
    <message>
        <source>Centre &amp;Y (from top):</source>
        <translation>中心 &amp;Y（距上边）：</translation>
    </message>
    <message>
        <source>e.g. 1-3,5,-1 (-1 = last page)</source>
        <translation>例如 1-3,5,-1（-1 = 最后一页）</translation>
    </message>
    <message>
        <source>&amp;Text:</source>
        <translation>文字(&amp;T)：</translation>
    </message>
    <message>
        <source>Every match (else the first)</source>
        <translation>每处匹配（否则只盖第一处）</translation>
    </message>
    <message>
        <source>S&amp;ide:</source>
        <translation>边(&amp;I)：</translation>
    </message>
    <message>
        <source>right edge</source>
        <translation>右边</translation>
    </message>
    <message>
        <source>left edge</source>
        <translation>左边</translation>
    </message>
    <message>
        <source>beside each document</source>
        <translation>与原文档放在同一文件夹</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <source>&amp;Start</source>
        <translation>开始(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>Ope&amp;n folder</source>
        <translation>打开文件夹(&amp;N)</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>CityIndicator</name>
    <message>
        <source>sending records…</source>
        <translation>正在上报记录…</translation>
    </message>
    <message>
        <source>&amp;Sync now</source>
        <translation>立即上报(&amp;S)</translation>
    </message>
    <message>
        <source>Show the last &amp;error…</source>
        <translation>查看最近的错误(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Register this key…</source>
        <translation>登记此钥匙(&amp;R)…</translation>
    </message>
    <message>
        <source>City &amp;settings…</source>
        <translation>市系统设置(&amp;S)…</translation>
    </message>
    <message>
        <source>No city e-seal system is set up: usage records stay on this computer. Set its address in the settings.</source>
        <translation>未设置市电子印章系统：用印记录只保存在本机。请在设置中填写其地址。</translation>
    </message>
    <message>
        <source>City e-seal system: {url}</source>
        <translation>市电子印章系统：{url}</translation>
    </message>
    <message>
        <source>Last sync: {time}</source>
        <translation>最近上报：{time}</translation>
    </message>
    <message>
        <source>Last sync: never</source>
        <translation>最近上报：从未上报</translation>
    </message>
    <message>
        <source>{pending} record(s) waiting, {rejected} refused</source>
        <translation>{pending} 条记录待上报，{rejected} 条被拒收</translation>
    </message>
    <message>
        <source>Last error: {error}</source>
        <translation>最近的错误：{error}</translation>
    </message>
</context>
<context>
    <name>KeyPanel</name>
    <message>
        <source>PIN: set</source>
        <translation>保护口令：正常</translation>
    </message>
    <message>
        <source>PIN: a wrong PIN was entered — few tries left</source>
        <translation>保护口令：曾输错 — 剩余尝试次数不多</translation>
    </message>
    <message>
        <source>PIN: final try — one more wrong PIN locks the key</source>
        <translation>保护口令：最后一次机会 — 再输错一次将锁定钥匙</translation>
    </message>
    <message>
        <source>PIN: locked — ask the issuer to unlock the key</source>
        <translation>保护口令：已锁定 — 请联系发放机构解锁</translation>
    </message>
    <message>
        <source>PIN: must be changed before use</source>
        <translation>保护口令：使用前必须修改</translation>
    </message>
    <message>
        <source>PIN: not set up — the issuer must initialise the key</source>
        <translation>口令：尚未设置——须由发放机构初始化钥匙</translation>
    </message>
    <message>
        <source>{w:g} × {h:g} mm</source>
        <translation>{w:g} × {h:g} 毫米</translation>
    </message>
    <message>
        <source>valid until {date}</source>
        <translation>有效期至 {date}</translation>
    </message>
    <message>
        <source>Cannot be used: {reason}</source>
        <translation>不可使用：{reason}</translation>
    </message>
    <message>
        <source>Expires in {days} days</source>
        <translation>{days} 天后到期</translation>
    </message>
    <message>
        <source>No USB key found. Insert your key; it appears here.</source>
        <translation>未找到智能密码钥匙。插入后会显示在这里。</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>钥匙</translation>
    </message>
    <message>
        <source> (demo)</source>
        <translation>（演示）</translation>
    </message>
    <message>
        <source>Serial</source>
        <translation>序列号</translation>
    </message>
    <message>
        <source>Manufacturer</source>
        <translation>制造商</translation>
    </message>
    <message>
        <source>expired on {date}</source>
        <translation>已于 {date} 过期</translation>
    </message>
    <message>
        <source>expires in {days} days</source>
        <translation>{days} 天后到期</translation>
    </message>
    <message>
        <source>{days} days to expiry</source>
        <translation>距到期 {days} 天</translation>
    </message>
    <message>
        <source>no certificates</source>
        <translation>无证书</translation>
    </message>
    <message>
        <source>Certificates</source>
        <translation>证书</translation>
    </message>
    <message>
        <source>Seals</source>
        <translation>印章</translation>
    </message>
    <message>
        <source>Change PIN…</source>
        <translation>修改口令…</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Placement cancelled.</source>
        <translation>已取消放置。</translation>
    </message>
    <message>
        <source>Page {page} / {count} · {zoom} %</source>
        <translation>第 {page} / {count} 页 · {zoom} %</translation>
    </message>
    <message>
        <source>&amp;Open…</source>
        <translation>打开(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Stamp</source>
        <translation>盖章</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>验证</translation>
    </message>
    <message>
        <source>Multi-page stamp</source>
        <translation>多页盖章</translation>
    </message>
    <message>
        <source>Cross-page seal</source>
        <translation>骑缝章</translation>
    </message>
    <message>
        <source>Keyword stamp</source>
        <translation>关键字盖章</translation>
    </message>
    <message>
        <source>Signature field</source>
        <translation>签名域盖章</translation>
    </message>
    <message>
        <source>Fit width</source>
        <translation>适合宽度</translation>
    </message>
    <message>
        <source>Fit page</source>
        <translation>适合页面</translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation>放大</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>缩小</translation>
    </message>
    <message>
        <source>Change PIN…</source>
        <translation>修改口令…</translation>
    </message>
    <message>
        <source>Look for keys again</source>
        <translation>重新查找钥匙</translation>
    </message>
    <message>
        <source>Choose a seal, then click on the page to place it</source>
        <translation>选择印章，然后在页面上单击放置</translation>
    </message>
    <message>
        <source>Verify every signature and seal of this document</source>
        <translation>验证本文档的全部签名和印章</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Open &amp;recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Stamp</source>
        <translation>盖章(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Key</source>
        <translation>钥匙(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>Key and seals</source>
        <translation>钥匙与印章</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>页面</translation>
    </message>
    <message>
        <source>Choose a seal on the left, click on the page to place it. Arrows nudge, Esc cancels.</source>
        <translation>在左侧选择印章，在页面上单击放置。方向键微调，Esc 取消。</translation>
    </message>
    <message>
        <source>&amp;Pages:</source>
        <translation>页码(&amp;P)：</translation>
    </message>
    <message>
        <source>e.g. 1-3,5,-1 (-1 = last page); then click the spot on any page</source>
        <translation>例如 1-3,5,-1（-1 为最后一页）；然后在任一页上单击位置</translation>
    </message>
    <message>
        <source>&amp;Text:</source>
        <translation>文字(&amp;T)：</translation>
    </message>
    <message>
        <source>first match</source>
        <translation>第一处</translation>
    </message>
    <message>
        <source>every match</source>
        <translation>每一处</translation>
    </message>
    <message>
        <source>Stamp at the text</source>
        <translation>在文字处盖章</translation>
    </message>
    <message>
        <source>S&amp;ide:</source>
        <translation>位置(&amp;I)：</translation>
    </message>
    <message>
        <source>right edge</source>
        <translation>右侧边缘</translation>
    </message>
    <message>
        <source>left edge</source>
        <translation>左侧边缘</translation>
    </message>
    <message>
        <source>P&amp;ages:</source>
        <translation>页码(&amp;A)：</translation>
    </message>
    <message>
        <source>&amp;Vertical centre (mm):</source>
        <translation>垂直中心(毫米)(&amp;V)：</translation>
    </message>
    <message>
        <source>middle</source>
        <translation>居中</translation>
    </message>
    <message>
        <source>Stamp the cross-page seal</source>
        <translation>加盖骑缝章</translation>
    </message>
    <message>
        <source>Click an empty signature field (dashed frame) to stamp into it.</source>
        <translation>单击空白签名域（虚线框）在其中盖章。</translation>
    </message>
    <message>
        <source>Open a document</source>
        <translation>打开文档</translation>
    </message>
    <message>
        <source>PDF documents (*.pdf)</source>
        <translation>PDF 文档 (*.pdf)</translation>
    </message>
    <message>
        <source>Documents (*.pdf *.ofd)</source>
        <translation>文档 (*.pdf *.ofd)</translation>
    </message>
    <message>
        <source>OFD documents (*.ofd)</source>
        <translation>OFD 文档 (*.ofd)</translation>
    </message>
    <message>
        <source>Cannot open</source>
        <translation>无法打开</translation>
    </message>
    <message>
        <source>{name} is damaged or not a PDF.</source>
        <translation>{name} 已损坏或不是 PDF 文件。</translation>
    </message>
    <message>
        <source>The key was removed: stamping stopped.</source>
        <translation>钥匙已拔出：盖章已停止。</translation>
    </message>
    <message>
        <source>Change PIN</source>
        <translation>修改口令</translation>
    </message>
    <message>
        <source>The PIN was changed.</source>
        <translation>保护口令已修改。</translation>
    </message>
    <message>
        <source>Seal: {name}</source>
        <translation>印章：{name}</translation>
    </message>
    <message>
        <source>{count} match(es)</source>
        <translation>{count} 处匹配</translation>
    </message>
    <message>
        <source>Cannot stamp</source>
        <translation>无法盖章</translation>
    </message>
    <message>
        <source>Open a PDF and choose a seal on the key first.</source>
        <translation>请先打开 PDF 文件并选择钥匙中的印章。</translation>
    </message>
    <message>
        <source>Stamping cancelled.</source>
        <translation>已取消盖章。</translation>
    </message>
    <message>
        <source>Before stamping</source>
        <translation>盖章前提示</translation>
    </message>
    <message>
        <source>Stamp anyway?</source>
        <translation>仍要盖章吗？</translation>
    </message>
    <message>
        <source>Stamping…</source>
        <translation>正在盖章…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Opening the document…</source>
        <translation>正在打开文档…</translation>
    </message>
    <message>
        <source>Checking the seal and the document…</source>
        <translation>正在检查印章和文档…</translation>
    </message>
    <message>
        <source>Signing with the key…</source>
        <translation>正在用钥匙签名…</translation>
    </message>
    <message>
        <source>Waiting for the time-stamping service…</source>
        <translation>正在等待时间戳服务…</translation>
    </message>
    <message>
        <source>Writing the signed copy…</source>
        <translation>正在写入已签章的副本…</translation>
    </message>
    <message>
        <source>Recording the use in the usage log…</source>
        <translation>正在记入用印登记…</translation>
    </message>
    <message>
        <source>Stamping cancelled: nothing was written.</source>
        <translation>已取消盖章：未写入任何文件。</translation>
    </message>
    <message>
        <source>Stamping failed</source>
        <translation>盖章失败</translation>
    </message>
    <message>
        <source>{error}

Nothing was written.</source>
        <translation>{error}

未写入任何文件。</translation>
    </message>
    <message>
        <source>Verification: {status} — {count} signature(s): {names}</source>
        <translation>验证结果：{status} — 共 {count} 个签名：{names}</translation>
    </message>
    <message>
        <source>Verification: {status}</source>
        <translation>验证结果：{status}</translation>
    </message>
    <message>
        <source>Verification (验章)</source>
        <translation>验章</translation>
    </message>
    <message>
        <source>&amp;Batch stamping…</source>
        <translation>批量盖章(&amp;B)…</translation>
    </message>
    <message>
        <source>&amp;Usage log</source>
        <translation>用印记录(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About SealDesk…</source>
        <translation>关于 SealDesk(&amp;A)…</translation>
    </message>
    <message>
        <source>Usage log</source>
        <translation>用印记录</translation>
    </message>
    <message>
        <source>Sending the usage records to the city system…</source>
        <translation>正在向市系统上报用印记录…</translation>
    </message>
    <message>
        <source>Sending the usage records to the city system… {sent} / {total}</source>
        <translation>正在向市系统上报用印记录… {sent} / {total}</translation>
    </message>
    <message>
        <source>City system</source>
        <translation>市电子印章系统</translation>
    </message>
    <message>
        <source>Sync cancelled: the records not sent keep waiting.</source>
        <translation>已取消上报：未发送的记录继续等待上报。</translation>
    </message>
    <message>
        <source>Sync done: {synced} record(s) sent, {rejected} refused, {pending} waiting.</source>
        <translation>上报完成：已上报 {synced} 条，被拒收 {rejected} 条，待上报 {pending} 条。</translation>
    </message>
</context>
<context>
    <name>PageView</name>
    <message>
        <source>Page %1</source>
        <translation>第 %1 页</translation>
    </message>
    <message>
        <source>Click to stamp here</source>
        <translation>点击在此盖章</translation>
    </message>
</context>
<context>
    <name>PinChangeDialog</name>
    <message>
        <source>Change PIN</source>
        <translation>修改口令</translation>
    </message>
    <message>
        <source>Key “{label}” (serial {serial})</source>
        <translation>钥匙“{label}”（序列号 {serial}）</translation>
    </message>
    <message>
        <source>&amp;Current PIN:</source>
        <translation>当前口令(&amp;C)：</translation>
    </message>
    <message>
        <source>&amp;New PIN:</source>
        <translation>新口令(&amp;N)：</translation>
    </message>
    <message>
        <source>New PIN &amp;again:</source>
        <translation>再次输入新口令(&amp;A)：</translation>
    </message>
    <message>
        <source>The new PINs do not match.</source>
        <translation>两次输入的新口令不一致。</translation>
    </message>
</context>
<context>
    <name>PinDialog</name>
    <message>
        <source>Enter the PIN</source>
        <translation>输入保护口令</translation>
    </message>
    <message>
        <source>Key “{label}” (serial {serial})</source>
        <translation>钥匙“{label}”（序列号 {serial}）</translation>
    </message>
    <message>
        <source>&amp;PIN:</source>
        <translation>保护口令(&amp;P)：</translation>
    </message>
    <message>
        <source>Caps Lock appears to be on.</source>
        <translation>大写锁定键似乎已打开。</translation>
    </message>
    <message>
        <source>A wrong PIN was entered before: only a few tries are left.</source>
        <translation>之前曾输错口令：剩余尝试次数不多。</translation>
    </message>
    <message>
        <source>Final try: if this PIN is wrong, the key locks and only the issuer can unlock it.</source>
        <translation>最后一次机会：如果本次口令错误，钥匙将被锁定，只能由发放机构解锁。</translation>
    </message>
    <message>
        <source>The PIN is locked after too many wrong tries. The key cannot sign until its issuer unlocks it.</source>
        <translation>口令因多次输错已被锁定。在发放机构解锁之前，钥匙无法签名。</translation>
    </message>
    <message>
        <source>The PIN must be changed before the key can sign: use “Change PIN”.</source>
        <translation>必须先修改口令才能签名：请使用“修改口令”。</translation>
    </message>
    <message>
        <source>This key has no user PIN yet: it must be initialised by its issuer before it can sign.</source>
        <translation>此钥匙尚未设置用户口令：须由发放机构初始化后才能签章。</translation>
    </message>
    <message>
        <source>This is the demo key: its factory PIN is {pin} unless you changed it.</source>
        <translation>这是演示钥匙：若未修改过，其出厂口令为 {pin}。</translation>
    </message>
</context>
<context>
    <name>RegisterDialog</name>
    <message>
        <source>Registering with the city system…</source>
        <translation>正在向市系统登记…</translation>
    </message>
    <message>
        <source>Not registered: {error}</source>
        <translation>未登记：{error}</translation>
    </message>
    <message>
        <source>Registered. Holder id: {holder}
Seals registered ({count}): {seals}</source>
        <translation>登记成功。持有人编号：{holder}
已登记的印章（{count} 枚）：{seals}</translation>
    </message>
    <message>
        <source>Register with the city e-seal system</source>
        <translation>向市电子印章系统登记</translation>
    </message>
    <message>
        <source>The key proves it holds its certificates by signing a challenge of the city system; the seals on it are then registered to the holder. To add this key to an earlier registration, give that holder id.</source>
        <translation>钥匙对市系统发出的挑战值签名，以证明持有其中的证书；随后钥匙上的印章登记到该持有人名下。若要把此钥匙加入之前的登记，请填写当时的持有人编号。</translation>
    </message>
    <message>
        <source>&amp;Key:</source>
        <translation>钥匙(&amp;K)：</translation>
    </message>
    <message>
        <source>Holder &amp;name:</source>
        <translation>持有人姓名(&amp;N)：</translation>
    </message>
    <message>
        <source>&amp;Organisation:</source>
        <translation>单位(&amp;O)：</translation>
    </message>
    <message>
        <source>Existing &amp;holder id:</source>
        <translation>已有持有人编号(&amp;H)：</translation>
    </message>
    <message>
        <source>optional</source>
        <translation>可不填</translation>
    </message>
    <message>
        <source>&amp;Register…</source>
        <translation>登记(&amp;R)…</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Choose a PKCS#11 driver</source>
        <translation>选择 PKCS#11 驱动</translation>
    </message>
    <message>
        <source>PKCS#11 drivers (*.so *.dll *.dylib);;All files (*)</source>
        <translation>PKCS#11 驱动 (*.so *.dll *.dylib);;所有文件 (*)</translation>
    </message>
    <message>
        <source>The driver file “{path}” does not exist.</source>
        <translation>驱动文件“{path}”不存在。</translation>
    </message>
    <message>
        <source>{subject}
SHA-256 {fingerprint}… — valid until {date}</source>
        <translation>{subject}
SHA-256 {fingerprint}… — 有效期至 {date}</translation>
    </message>
    <message>
        <source>{subject}
(added from {file} when you press OK)</source>
        <translation>{subject}
（按“确定”后从 {file} 添加）</translation>
    </message>
    <message>
        <source>Choose a root certificate</source>
        <translation>选择根证书</translation>
    </message>
    <message>
        <source>Certificates (*.pem *.crt *.cer *.der);;All files (*)</source>
        <translation>证书 (*.pem *.crt *.cer *.der);;所有文件 (*)</translation>
    </message>
    <message>
        <source>The file “{path}” cannot be read.</source>
        <translation>无法读取文件“{path}”。</translation>
    </message>
    <message>
        <source>“{name}” holds no certificate SealDesk can read.</source>
        <translation>“{name}”中没有 SealDesk 能读取的证书。</translation>
    </message>
    <message>
        <source>Choose the city system&apos;s CA bundle</source>
        <translation>选择市系统的 CA 证书文件</translation>
    </message>
    <message>
        <source>Certificates (*.pem *.crt *.cer);;All files (*)</source>
        <translation>证书 (*.pem *.crt *.cer);;所有文件 (*)</translation>
    </message>
    <message>
        <source>A token is stored for this address; type a new one only to replace it.</source>
        <translation>已为此地址保存了令牌；仅在需要更换时输入新令牌。</translation>
    </message>
    <message>
        <source>No token is stored for this address yet.</source>
        <translation>尚未为此地址保存令牌。</translation>
    </message>
    <message>
        <source>Give the city system&apos;s address with its API token.</source>
        <translation>请同时填写市系统的地址和 API 令牌。</translation>
    </message>
    <message>
        <source>The CA bundle “{path}” does not exist.</source>
        <translation>CA 证书文件“{path}”不存在。</translation>
    </message>
    <message>
        <source>Folder for the signed copies</source>
        <translation>签章文件的保存文件夹</translation>
    </message>
    <message>
        <source>Example: contract.pdf → contract{suffix}.pdf</source>
        <translation>示例：contract.pdf → contract{suffix}.pdf</translation>
    </message>
    <message>
        <source>The timestamp service address must start with http:// or https://, e.g. https://tsa.example.cn/tsr.</source>
        <translation>时间戳服务地址必须以 http:// 或 https:// 开头，例如 https://tsa.example.cn/tsr。</translation>
    </message>
    <message>
        <source>The output folder “{path}” does not exist.</source>
        <translation>输出文件夹“{path}”不存在。</translation>
    </message>
    <message>
        <source>The name suffix may not contain any of / \ : * ? &quot; &lt; &gt; |.</source>
        <translation>文件名后缀不能包含 / \ : * ? &quot; &lt; &gt; | 中的任何字符。</translation>
    </message>
    <message>
        <source>Without an output folder, the name suffix may not be empty (the signed copy would take the original&apos;s name).</source>
        <translation>未指定输出文件夹时，文件名后缀不能为空（否则签章文件会与原文件同名）。</translation>
    </message>
    <message>
        <source>The settings could not be saved: {reason}</source>
        <translation>无法保存设置：{reason}</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>&amp;General</source>
        <translation>常规(&amp;G)</translation>
    </message>
    <message>
        <source>&amp;Key drivers</source>
        <translation>钥匙驱动(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;Trusted roots</source>
        <translation>受信任的根证书(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;City system</source>
        <translation>市系统(&amp;C)</translation>
    </message>
    <message>
        <source>City system &amp;address:</source>
        <translation>市系统地址(&amp;A)：</translation>
    </message>
    <message>
        <source>&amp;CA bundle:</source>
        <translation>CA 证书(&amp;C)：</translation>
    </message>
    <message>
        <source>When the seal status &amp;cannot be checked:</source>
        <translation>无法查询印章状态时(&amp;C)：</translation>
    </message>
    <message>
        <source>Send records &amp;every:</source>
        <translation>上报间隔(&amp;E)：</translation>
    </message>
    <message>
        <source>API &amp;token:</source>
        <translation>API 令牌(&amp;T)：</translation>
    </message>
    <message>
        <source>Usage records are reported to the city e-seal system (用印登记) and seals are checked there before stamping. Without an address, nothing leaves this computer.</source>
        <translation>用印记录上报市电子印章系统（用印登记），盖章前向其查询印章状态。不填地址则不向外发送任何数据。</translation>
    </message>
    <message>
        <source>the system&apos;s trusted certificates</source>
        <translation>系统信任的证书</translation>
    </message>
    <message>
        <source>B&amp;rowse…</source>
        <translation>浏览(&amp;R)…</translation>
    </message>
    <message>
        <source>stamp, and mark the record “status unchecked”</source>
        <translation>照常盖章，记录标记为“状态未核验”</translation>
    </message>
    <message>
        <source>refuse to stamp</source>
        <translation>拒绝盖章</translation>
    </message>
    <message>
        <source> min</source>
        <translation> 分钟</translation>
    </message>
    <message>
        <source>only after stamping</source>
        <translation>仅在盖章后</translation>
    </message>
    <message>
        <source>kept in the system keyring, never shown</source>
        <translation>保存在系统密钥环中，不会显示</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <source>Time&amp;stamp service (TSA):</source>
        <translation>时间戳服务(&amp;S)（TSA）：</translation>
    </message>
    <message>
        <source>&amp;Official seals:</source>
        <translation>公章(&amp;O)：</translation>
    </message>
    <message>
        <source>Output &amp;folder:</source>
        <translation>输出文件夹(&amp;F)：</translation>
    </message>
    <message>
        <source>Name s&amp;uffix:</source>
        <translation>文件名后缀(&amp;U)：</translation>
    </message>
    <message>
        <source>Default (Chinese unless SEALDESK_LANG says otherwise)</source>
        <translation>默认（中文，除非 SEALDESK_LANG 另有指定）</translation>
    </message>
    <message>
        <source>Require an &amp;approval reference</source>
        <translation>必须填写审批单号(&amp;A)</translation>
    </message>
    <message>
        <source>beside the original document</source>
        <translation>与原文档放在同一文件夹</translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <source>PKCS#11 drivers to load besides the known ones (drivers/modules.toml). Changes take effect the next time SealDesk starts.</source>
        <translation>除已知驱动（drivers/modules.toml）外还要加载的 PKCS#11 驱动。更改在下次启动 SealDesk 时生效。</translation>
    </message>
    <message>
        <source>A&amp;dd driver…</source>
        <translation>添加驱动(&amp;D)…</translation>
    </message>
    <message>
        <source>&amp;Remove driver</source>
        <translation>移除驱动(&amp;R)</translation>
    </message>
    <message>
        <source>Root certificates trusted when verifying signed documents. Nothing is trusted by default, not even the demo key&apos;s root.</source>
        <translation>验证已签章文档时信任的根证书。默认不信任任何证书，演示钥匙的根证书也不例外。</translation>
    </message>
    <message>
        <source>Add &amp;certificate…</source>
        <translation>添加证书(&amp;C)…</translation>
    </message>
    <message>
        <source>Re&amp;move certificate</source>
        <translation>移除证书(&amp;M)</translation>
    </message>
</context>
<context>
    <name>UsageLogView</name>
    <message>
        <source>All seals</source>
        <translation>全部印章</translation>
    </message>
    <message>
        <source>{count} record(s) shown</source>
        <translation>显示 {count} 条记录</translation>
    </message>
    <message>
        <source>void (voids an earlier record)</source>
        <translation>作废记录（作废之前的一条记录）</translation>
    </message>
    <message>
        <source>voided: the file was not written</source>
        <translation>已作废：文件未写入</translation>
    </message>
    <message>
        <source>stamped</source>
        <translation>已盖章</translation>
    </message>
    <message>
        <source>The city system said: {detail}</source>
        <translation>市系统的说明：{detail}</translation>
    </message>
    <message>
        <source>Stamped while the city system could not be asked whether the seal is valid.</source>
        <translation>盖章时无法向市系统查询印章是否有效。</translation>
    </message>
    <message>
        <source>official seal</source>
        <translation>公章</translation>
    </message>
    <message>
        <source>duty seal</source>
        <translation>职务章</translation>
    </message>
    <message>
        <source>personal seal</source>
        <translation>个人印章</translation>
    </message>
    <message>
        <source>other seal</source>
        <translation>其他印章</translation>
    </message>
    <message>
        <source>Checking the chain and the signatures of every record…</source>
        <translation>正在检查每条记录的链和签名…</translation>
    </message>
    <message>
        <source>The chain has not been checked yet.</source>
        <translation>尚未检查记录链。</translation>
    </message>
    <message>
        <source>The usage log is intact: {count} record(s) checked, every link and signature is valid.</source>
        <translation>用印记录完整：已检查 {count} 条记录，每个链接和签名均有效。</translation>
    </message>
    <message>
        <source>The usage log has been changed or damaged: {count} problem(s) found.</source>
        <translation>用印记录已被更改或损坏：发现 {count} 个问题。</translation>
    </message>
    <message>
        <source>Usage log</source>
        <translation>用印记录</translation>
    </message>
    <message>
        <source>&amp;Seal:</source>
        <translation>印章(&amp;S)：</translation>
    </message>
    <message>
        <source>&amp;From</source>
        <translation>起始(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;To</source>
        <translation>截止(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Check the chain</source>
        <translation>检查记录链(&amp;C)</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Seal</source>
        <translation>印章</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Document</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>页码</translation>
    </message>
    <message>
        <source>Approval</source>
        <translation>审批单号</translation>
    </message>
    <message>
        <source>Purpose</source>
        <translation>用途</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>No.</source>
        <translation>序号</translation>
    </message>
    <message>
        <source>Sync</source>
        <translation>同步状态</translation>
    </message>
</context>
<context>
    <name>VerifyPanel</name>
    <message>
        <source>Verifying “{name}”…</source>
        <translation>正在验证“{name}”…</translation>
    </message>
    <message>
        <source>“{name}” could not be verified.</source>
        <translation>无法验证“{name}”。</translation>
    </message>
    <message>
        <source>{count} signature(s)</source>
        <translation>{count} 个签章</translation>
    </message>
    <message>
        <source>This document has no signatures.</source>
        <translation>此文档没有签章。</translation>
    </message>
    <message>
        <source>PDF report (*.pdf)</source>
        <translation>PDF 报告 (*.pdf)</translation>
    </message>
    <message>
        <source>HTML report (*.html)</source>
        <translation>HTML 报告 (*.html)</translation>
    </message>
    <message>
        <source>{stem} verification report</source>
        <translation>{stem} 验章报告</translation>
    </message>
    <message>
        <source>Export the verification report</source>
        <translation>导出验章报告</translation>
    </message>
    <message>
        <source>The report could not be written: {reason}</source>
        <translation>无法写入报告：{reason}</translation>
    </message>
    <message>
        <source>Open a PDF to see its signatures and seals.</source>
        <translation>打开 PDF 文件即可查看其中的签章和印章。</translation>
    </message>
    <message>
        <source>Verification</source>
        <translation>验章</translation>
    </message>
    <message>
        <source>&amp;Signatures:</source>
        <translation>签章列表(&amp;S)：</translation>
    </message>
    <message>
        <source>&amp;Verify again</source>
        <translation>重新验证(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Export report…</source>
        <translation>导出报告(&amp;E)…</translation>
    </message>
</context>
<context>
    <name>about</name>
    <message>
        <source>Running from</source>
        <translation>运行位置</translation>
    </message>
    <message>
        <source>Data folder</source>
        <translation>数据文件夹</translation>
    </message>
    <message>
        <source>PKCS#11 modules found (loaded when a key is used):</source>
        <translation>找到的 PKCS#11 模块（使用钥匙时加载）：</translation>
    </message>
    <message>
        <source>PKCS#11 modules:</source>
        <translation>PKCS#11 模块：</translation>
    </message>
    <message>
        <source>(none found: install your key vendor&apos;s PKCS#11 driver, or softhsm2 for the demo key)</source>
        <translation>（未找到：请安装钥匙厂商的 PKCS#11 驱动；演示钥匙需要 softhsm2）</translation>
    </message>
    <message>
        <source>not installed</source>
        <translation>未安装</translation>
    </message>
    <message>
        <source>bundle</source>
        <translation>独立安装包</translation>
    </message>
    <message>
        <source>Python package</source>
        <translation>Python 软件包</translation>
    </message>
    <message>
        <source>source checkout</source>
        <translation>源代码目录</translation>
    </message>
    <message>
        <source>loaded</source>
        <translation>已加载</translation>
    </message>
    <message>
        <source>not loaded</source>
        <translation>未加载</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <source>ok</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>wrong PIN entered before — few tries left</source>
        <translation>此前输错过口令——剩余尝试次数不多</translation>
    </message>
    <message>
        <source>final try — one more wrong PIN locks the key</source>
        <translation>最后一次机会——再输错一次将锁定钥匙</translation>
    </message>
    <message>
        <source>locked</source>
        <translation>已锁定</translation>
    </message>
    <message>
        <source>must be changed</source>
        <translation>必须修改</translation>
    </message>
    <message>
        <source>no user PIN yet — the issuer must set one</source>
        <translation>尚未设置用户口令——须由发放机构设置</translation>
    </message>
    <message>
        <source>valid</source>
        <translation>有效</translation>
    </message>
    <message>
        <source>intact, but not trusted</source>
        <translation>完整，但不受信任</translation>
    </message>
    <message>
        <source>INVALID</source>
        <translation>无效</translation>
    </message>
    <message>
        <source>no signatures</source>
        <translation>无签名</translation>
    </message>
    <message>
        <source>Official seal: approval {ref} is recorded in the usage log.</source>
        <translation>公章用印：审批编号 {ref} 将记入用印登记。</translation>
    </message>
    <message>
        <source>The document is certified; a new signature field is allowed here, but strict verifiers report the certification as broken. Signing an existing empty signature field avoids that.</source>
        <translation>该文档已被认证：这里允许添加新的签名域，但严格的验证程序会认为认证已被破坏。签署文档中已有的空签名域可避免这种情况。</translation>
    </message>
    <message>
        <source>The document is already signed; the new seal is added after it.</source>
        <translation>文档已有签名；新印章将追加在其后。</translation>
    </message>
    <message>
        <source>On page {page} the seal lies within {margin} mm of the page edge.</source>
        <translation>第 {page} 页的印章距页面边缘不足 {margin} 毫米。</translation>
    </message>
    <message>
        <source>The seal&apos;s status could not be checked with the city system ({problem}); the usage record is marked “status unchecked”.</source>
        <translation>无法向市电子印章系统查询印章状态（{problem}）；本次用印记录标记为“状态未核验”。</translation>
    </message>
    <message>
        <source>local only</source>
        <translation>仅本地</translation>
    </message>
    <message>
        <source>waiting to be sent</source>
        <translation>等待上报</translation>
    </message>
    <message>
        <source>sent to the city system</source>
        <translation>已上报市级系统</translation>
    </message>
    <message>
        <source>refused by the city system</source>
        <translation>被市系统拒收</translation>
    </message>
    <message>
        <source>no city system</source>
        <translation>未设置市系统</translation>
    </message>
    <message>
        <source>all records sent</source>
        <translation>记录已全部上报</translation>
    </message>
    <message>
        <source>{pending} records waiting</source>
        <translation>{pending} 条记录待上报</translation>
    </message>
    <message>
        <source>city system offline, {pending} records waiting</source>
        <translation>市系统无法连接，{pending} 条记录待上报</translation>
    </message>
    <message>
        <source>city sync failed, {pending} records waiting</source>
        <translation>上报失败，{pending} 条记录待上报</translation>
    </message>
    <message>
        <source> ({reason})</source>
        <translation>（{reason}）</translation>
    </message>
    <message>
        <source>; seal status unchecked</source>
        <translation>；印章状态未核验</translation>
    </message>
    <message>
        <source>the key is not registered yet</source>
        <translation>钥匙尚未登记</translation>
    </message>
    <message>
        <source>earlier records are missing there</source>
        <translation>市系统缺少更早的记录</translation>
    </message>
    <message>
        <source>the record is damaged</source>
        <translation>记录已损坏</translation>
    </message>
    <message>
        <source>its signature is not valid</source>
        <translation>记录签名无效</translation>
    </message>
    <message>
        <source>a different record with the same id is there</source>
        <translation>市系统已有同编号的不同记录</translation>
    </message>
    <message>
        <source>another record already has this number</source>
        <translation>该序号已被另一条记录占用</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <source>not yet valid</source>
        <translation>尚未生效</translation>
    </message>
    <message>
        <source>not bound to this certificate</source>
        <translation>未与该证书绑定</translation>
    </message>
    <message>
        <source>made by an untrusted seal maker</source>
        <translation>由不受信任的制章者制作</translation>
    </message>
    <message>
        <source>INVALID: the picture does not match the seal</source>
        <translation>无效：印模与印章不符</translation>
    </message>
</context>
<context>
    <name>argparse</name>
    <message>
        <source>usage: </source>
        <translation>用法：</translation>
    </message>
    <message>
        <source>positional arguments</source>
        <translation>位置参数</translation>
    </message>
    <message>
        <source>options</source>
        <translation>选项</translation>
    </message>
    <message>
        <source>show this help message and exit</source>
        <translation>显示此帮助信息并退出</translation>
    </message>
    <message>
        <source>the following arguments are required: %s</source>
        <translation>缺少以下必需参数：%s</translation>
    </message>
    <message>
        <source>%(prog)s: error: %(message)s
</source>
        <translation>%(prog)s：错误：%(message)s
</translation>
    </message>
    <message>
        <source>invalid choice: %(value)r (choose from %(choices)s)</source>
        <translation>无效的选项值：%(value)r（可选：%(choices)s）</translation>
    </message>
    <message>
        <source>unrecognized arguments: %s</source>
        <translation>无法识别的参数：%s</translation>
    </message>
    <message>
        <source>argument %(argument_name)s: %(message)s</source>
        <translation>参数 %(argument_name)s：%(message)s</translation>
    </message>
    <message>
        <source>expected one argument</source>
        <translation>需要一个值</translation>
    </message>
    <message>
        <source>invalid %(type)s value: %(value)r</source>
        <translation>无效的 %(type)s 值：%(value)r</translation>
    </message>
    <message>
        <source>ambiguous option: %(option)s could match %(matches)s</source>
        <translation>选项有歧义：%(option)s 可能是 %(matches)s</translation>
    </message>
    <message>
        <source>not allowed with argument %s</source>
        <translation>不能与参数 %s 同时使用</translation>
    </message>
</context>
<context>
    <name>cli</name>
    <message>
        <source>{label}: {value}</source>
        <translation>{label}：{value}</translation>
    </message>
    <message>
        <source>a PIN that is not valid text</source>
        <translation>不是有效文字的口令</translation>
    </message>
    <message>
        <source>empty PIN</source>
        <translation>口令为空</translation>
    </message>
    <message>
        <source>Warning: {state}</source>
        <translation>警告：{state}</translation>
    </message>
    <message>
        <source>Key inserted: {label} [{serial}]</source>
        <translation>钥匙已插入：{label} [{serial}]</translation>
    </message>
    <message>
        <source>Key removed: {label} [{serial}]</source>
        <translation>钥匙已拔出：{label} [{serial}]</translation>
    </message>
    <message>
        <source>Driver not loaded: {path} — {error}</source>
        <translation>驱动未能加载：{path} —— {error}</translation>
    </message>
    <message>
        <source>No USB key found. Run `sealdesk demo-key` to create the demo key.</source>
        <translation>未找到智能密码钥匙。运行 `sealdesk demo-key` 可创建演示钥匙。</translation>
    </message>
    <message>
        <source>Manufacturer</source>
        <translation>厂商</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>型号</translation>
    </message>
    <message>
        <source>Driver</source>
        <translation>驱动</translation>
    </message>
    <message>
        <source>Slot</source>
        <translation>槽位</translation>
    </message>
    <message>
        <source>PIN state</source>
        <translation>口令状态</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Format version</source>
        <translation>格式版本</translation>
    </message>
    <message>
        <source>Picture</source>
        <translation>印模图像</translation>
    </message>
    <message>
        <source>Valid</source>
        <translation>有效期</translation>
    </message>
    <message>
        <source>Maker</source>
        <translation>制章者</translation>
    </message>
    <message>
        <source>Verification</source>
        <translation>验证结果</translation>
    </message>
    <message>
        <source>Warning: the seal expires within 90 days.</source>
        <translation>警告：印章将在 90 天内到期。</translation>
    </message>
    <message>
        <source>Certificate</source>
        <translation>证书</translation>
    </message>
    <message>
        <source>Serial</source>
        <translation>序列号</translation>
    </message>
    <message>
        <source>Algorithm</source>
        <translation>算法</translation>
    </message>
    <message>
        <source>Issuer</source>
        <translation>颁发者</translation>
    </message>
    <message>
        <source>Days to expiry</source>
        <translation>距到期天数</translation>
    </message>
    <message>
        <source>Warning: the certificate expires within 90 days.</source>
        <translation>警告：证书将在 90 天内到期。</translation>
    </message>
    <message>
        <source>--at takes a date like 2021-01-01</source>
        <translation>--at 需要日期，如 2021-01-01</translation>
    </message>
    <message>
        <source>Demo key: its PIN is 123456. Change it with `sealdesk pin change`.</source>
        <translation>演示钥匙：口令为 123456。请用 `sealdesk pin change` 修改。</translation>
    </message>
    <message>
        <source>PIN for {label}: </source>
        <translation>请输入“{label}”的保护口令：</translation>
    </message>
    <message>
        <source>Seal “{name}” imported onto the key.</source>
        <translation>印章“{name}”已导入钥匙。</translation>
    </message>
    <message>
        <source>A seal object on the key is unreadable ({label}): {error}</source>
        <translation>钥匙中的一个印章对象无法读取（{label}）：{error}</translation>
    </message>
    <message>
        <source>No seals on this key.</source>
        <translation>该钥匙中没有印章。</translation>
    </message>
    <message>
        <source>This file is an electronic signature made with a seal (SES_Signature), not a seal.</source>
        <translation>此文件是用印章做的电子签章数据（SES_Signature），不是印章。</translation>
    </message>
    <message>
        <source>Signed item</source>
        <translation>签署对象</translation>
    </message>
    <message>
        <source>Digest of the signed data</source>
        <translation>所签数据的摘要</translation>
    </message>
    <message>
        <source>a certificate file or fingerprint</source>
        <translation>证书文件或指纹</translation>
    </message>
    <message>
        <source>Trusted: {subject} [{fingerprint}]</source>
        <translation>已信任：{subject} [{fingerprint}]</translation>
    </message>
    <message>
        <source>Removed the damaged file {name} from the trust store.</source>
        <translation>已从信任库中删除损坏的文件 {name}。</translation>
    </message>
    <message>
        <source>No longer trusted: {subject}</source>
        <translation>已取消信任：{subject}</translation>
    </message>
    <message>
        <source>No trusted root certificates. Add one with `sealdesk trust add FILE`.</source>
        <translation>没有受信任的根证书。可用 `sealdesk trust add 文件` 添加。</translation>
    </message>
    <message>
        <source>Warning: {name} in the trust store is skipped: {problem} Remove it with `sealdesk trust remove {name}`.</source>
        <translation>警告：已跳过信任库中的 {name}：{problem} 可用 `sealdesk trust remove {name}` 删除它。</translation>
    </message>
    <message>
        <source>Current PIN: </source>
        <translation>当前口令：</translation>
    </message>
    <message>
        <source>New PIN: </source>
        <translation>新口令：</translation>
    </message>
    <message>
        <source>New PIN again: </source>
        <translation>再次输入新口令：</translation>
    </message>
    <message>
        <source>PIN changed.</source>
        <translation>口令已修改。</translation>
    </message>
    <message>
        <source>Demo key “{label}” created with {count} seals.</source>
        <translation>已创建演示钥匙“{label}”，内含 {count} 枚印章。</translation>
    </message>
    <message>
        <source>Its PIN is {pin}. Change it with `sealdesk pin change`.</source>
        <translation>其口令为 {pin}。请用 `sealdesk pin change` 修改。</translation>
    </message>
    <message>
        <source>Demo root certificate: {path}</source>
        <translation>演示根证书：{path}</translation>
    </message>
    <message>
        <source>Each demo key gets a new root (its key is never stored): to verify its documents, trust this file with `sealdesk trust add`.</source>
        <translation>每把演示钥匙都有新的根证书（其私钥从不保存）：如需核验其盖章的文档，请用 `sealdesk trust add` 信任此文件。</translation>
    </message>
    <message>
        <source>  {module}: {seal}</source>
        <translation>  {module}：{seal}</translation>
    </message>
    <message>
        <source>SM2 demo skipped: {reason}</source>
        <translation>已跳过 SM2 演示：{reason}</translation>
    </message>
    <message>
        <source>SM2 demo key “{label}” created on the {module} ({path}).</source>
        <translation>已在 {module}（{path}）上创建 SM2 演示密钥“{label}”。</translation>
    </message>
    <message>
        <source>SM2 demo root certificate: {path}</source>
        <translation>SM2 演示根证书：{path}</translation>
    </message>
    <message>
        <source>No USB key found: creating the demo key (SoftHSM) with three seals…</source>
        <translation>未找到智能密码钥匙：正在创建内含三枚印章的演示钥匙（SoftHSM）……</translation>
    </message>
    <message>
        <source>To list the seals on a key, run `sealdesk seals` in a terminal (it asks for the key&apos;s PIN), or `sealdesk seals --pin-stdin` to read the PIN from standard input.</source>
        <translation>要列出钥匙中的印章，请在终端中运行 `sealdesk seals`（会询问钥匙口令），或用 `sealdesk seals --pin-stdin` 从标准输入读取口令。</translation>
    </message>
    <message>
        <source>The demo key&apos;s PIN is {pin}.</source>
        <translation>演示钥匙的口令是 {pin}。</translation>
    </message>
    <message>
        <source>{option} X,Y in millimetres, e.g. {option} 120,200</source>
        <translation>{option} 应为以毫米表示的 X,Y，例如 {option} 120,200</translation>
    </message>
    <message>
        <source>--field places the seal by itself: no other placement</source>
        <translation>--field 自行确定印章位置，不能再指定其他位置选项</translation>
    </message>
    <message>
        <source>either --page or --pages, not both</source>
        <translation>--page 与 --pages 只能用一个</translation>
    </message>
    <message>
        <source>--page counts from 1</source>
        <translation>--page 从 1 开始计数</translation>
    </message>
    <message>
        <source>--at cannot be combined with --keyword or --cross-page (choose one placement)</source>
        <translation>--at 不能与 --keyword 或 --cross-page 同时使用（请只选一种盖章方式）</translation>
    </message>
    <message>
        <source>a cross-page seal needs --pages (at least 2 pages)</source>
        <translation>骑缝章需要用 --pages 指定至少 2 页</translation>
    </message>
    <message>
        <source>give --at X,Y (mm), --keyword TEXT or --cross-page</source>
        <translation>请指定 --at X,Y（毫米）、--keyword 文字 或 --cross-page</translation>
    </message>
    <message>
        <source>--out must be a folder when stamping several files</source>
        <translation>对多个文件盖章时，--out 必须是文件夹</translation>
    </message>
    <message>
        <source>[{n}/{total}] skipped {src}: {reason}</source>
        <translation>[{n}/{total}] 跳过 {src}：{reason}</translation>
    </message>
    <message>
        <source>{ok} signed, {skipped} already stamped (skipped), {failed} failed.</source>
        <translation>已签章 {ok} 个，已盖过章（跳过）{skipped} 个，失败 {failed} 个。</translation>
    </message>
    <message>
        <source>[{n}/{total}] signed {src} → {dst}</source>
        <translation>[{n}/{total}] 已签章 {src} → {dst}</translation>
    </message>
    <message>
        <source>Warning: {text}</source>
        <translation>警告：{text}</translation>
    </message>
    <message>
        <source>[{n}/{total}] FAILED {src}: {error}</source>
        <translation>[{n}/{total}] 失败 {src}：{error}</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>The document has no signatures.</source>
        <translation>该文档没有签章。</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>form filling</source>
        <translation>表单填写</translation>
    </message>
    <message>
        <source>annotations</source>
        <translation>注释</translation>
    </message>
    <message>
        <source>other changes</source>
        <translation>其他修改</translation>
    </message>
    <message>
        <source>Signature {n}: {field}</source>
        <translation>签章 {n}：{field}</translation>
    </message>
    <message>
        <source>Signer</source>
        <translation>签章人</translation>
    </message>
    <message>
        <source>Organisation</source>
        <translation>单位</translation>
    </message>
    <message>
        <source>Seal</source>
        <translation>印章</translation>
    </message>
    <message>
        <source>Seal verification</source>
        <translation>印章验证</translation>
    </message>
    <message>
        <source>(claimed by the signer; no timestamp proves it)</source>
        <translation>（签章人自报时间，无时间戳证明）</translation>
    </message>
    <message>
        <source>Signing time</source>
        <translation>签章时间</translation>
    </message>
    <message>
        <source>Timestamp</source>
        <translation>时间戳</translation>
    </message>
    <message>
        <source>Intact</source>
        <translation>文档完整</translation>
    </message>
    <message>
        <source>Signature valid</source>
        <translation>签名有效</translation>
    </message>
    <message>
        <source>the whole document</source>
        <translation>整个文档</translation>
    </message>
    <message>
        <source>the document as it was then (later revisions follow)</source>
        <translation>签章时的文档（其后另有修订）</translation>
    </message>
    <message>
        <source>only part of the document</source>
        <translation>仅部分文档</translation>
    </message>
    <message>
        <source>Covers</source>
        <translation>覆盖范围</translation>
    </message>
    <message>
        <source>Later changes</source>
        <translation>签章后的修改</translation>
    </message>
    <message>
        <source>Trusted</source>
        <translation>可信</translation>
    </message>
    <message>
        <source>Certificate valid at signing time</source>
        <translation>签章时证书有效</translation>
    </message>
    <message>
        <source>VALID</source>
        <translation>有效</translation>
    </message>
    <message>
        <source>NOT VALID</source>
        <translation>无效</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结论</translation>
    </message>
    <message>
        <source>Usage log intact: {n} records checked.</source>
        <translation>用印记录完整：已检查 {n} 条记录。</translation>
    </message>
    <message>
        <source>Usage log NOT intact ({n} records checked):</source>
        <translation>用印记录不完整（已检查 {n} 条记录）：</translation>
    </message>
    <message>
        <source>The usage log is empty.</source>
        <translation>用印记录为空。</translation>
    </message>
    <message>
        <source>signed</source>
        <translation>已签章</translation>
    </message>
    <message>
        <source>void (no output)</source>
        <translation>已作废（未生成文件）</translation>
    </message>
    <message>
        <source>#{seq} {time} {outcome} {seal} [{seal_id}] {document}, pages {pages}</source>
        <translation>#{seq} {time} {outcome} {seal} [{seal_id}] {document}，第 {pages} 页</translation>
    </message>
    <message>
        <source>Approval</source>
        <translation>审批号</translation>
    </message>
    <message>
        <source>Purpose</source>
        <translation>用途</translation>
    </message>
    <message>
        <source>Not all records are verified: these holders&apos; certificates do not chain to a trusted root:</source>
        <translation>并非所有记录均已验证：以下持章人的证书无法链接到受信任的根证书：</translation>
    </message>
    <message>
        <source>unverified holder {holder} ({subject}): {n} records</source>
        <translation>持章人未验证 {holder}（{subject}）：{n} 条记录</translation>
    </message>
    <message>
        <source>Trust the issuing root with `sealdesk trust add FILE` if it is genuine.</source>
        <translation>如确认签发根证书真实可信，请用 `sealdesk trust add 文件` 添加信任。</translation>
    </message>
    <message>
        <source>SealDesk: stamp documents with the electronic seals on your USB key.</source>
        <translation>SealDesk：使用智能密码钥匙中的电子印章为文档盖章。</translation>
    </message>
    <message>
        <source>list detected USB keys</source>
        <translation>列出检测到的智能密码钥匙</translation>
    </message>
    <message>
        <source>keep running and report keys inserted or removed</source>
        <translation>持续运行，报告钥匙的插入和拔出</translation>
    </message>
    <message>
        <source>seconds between checks for --watch</source>
        <translation>--watch 两次检测之间的秒数</translation>
    </message>
    <message>
        <source>stop watching after this many seconds</source>
        <translation>监视这么多秒后停止</translation>
    </message>
    <message>
        <source>verify the signatures and seals in a PDF or OFD document</source>
        <translation>验证 PDF 或 OFD 文档中的签名和印章</translation>
    </message>
    <message>
        <source>PDF or OFD file</source>
        <translation>PDF 或 OFD 文件</translation>
    </message>
    <message>
        <source>certificate file (add); fingerprint prefix or file name (remove)</source>
        <translation>证书文件（add）；指纹前缀或文件名（remove）</translation>
    </message>
    <message>
        <source>machine-readable output</source>
        <translation>输出机器可读的 JSON</translation>
    </message>
    <message>
        <source>list the seals on a key, or inspect a seal file</source>
        <translation>列出钥匙中的印章，或检查印章文件</translation>
    </message>
    <message>
        <source>inspect a seal file (.esl) instead of the key</source>
        <translation>检查印章文件（.esl），而不是钥匙</translation>
    </message>
    <message>
        <source>verify a seal file (.esl) and store it on the key next to the key it binds</source>
        <translation>验证印章文件（.esl），并将其存入钥匙、与其绑定的密钥关联</translation>
    </message>
    <message>
        <source>verify as of this date (YYYY-MM-DD)</source>
        <translation>按此日期验证（YYYY-MM-DD）</translation>
    </message>
    <message>
        <source>serial number of the key to use</source>
        <translation>要使用的钥匙序列号</translation>
    </message>
    <message>
        <source>Matches the document</source>
        <translation>与所给文件一致</translation>
    </message>
    <message>
        <source>To check it against the signed document, add --data with the document.</source>
        <translation>如需对照所签文件核验，请用 --data 指定该文件。</translation>
    </message>
    <message>
        <source>SES_Signature written: {path}</source>
        <translation>电子签章数据（SES_Signature）已写入：{path}</translation>
    </message>
    <message>
        <source>the seal&apos;s picture</source>
        <translation>与印章印模一致</translation>
    </message>
    <message>
        <source>NOT the seal&apos;s picture</source>
        <translation>不是该印章的印模</translation>
    </message>
    <message>
        <source>Warning: {message}</source>
        <translation>警告：{message}</translation>
    </message>
    <message>
        <source>Picture on the page</source>
        <translation>页面上的印模</translation>
    </message>
    <message>
        <source>none — a signature without an electronic seal; the picture it shows is not a seal</source>
        <translation>无 — 这是不含电子印章的签名；其显示的图片不是印章</translation>
    </message>
    <message>
        <source>none — a signature without an electronic seal</source>
        <translation>无 — 这是不含电子印章的签名</translation>
    </message>
    <message>
        <source>Timestamp problem</source>
        <translation>时间戳问题</translation>
    </message>
    <message>
        <source>Deleted newest records are only evident against the chain head on the key: run `sealdesk log verify --key` (asks the key&apos;s PIN) to compare.</source>
        <translation>删除最新记录只有对照钥匙上的链头才能发现：运行 `sealdesk log verify --key`（需输入钥匙 PIN）进行比对。</translation>
    </message>
    <message>
        <source>Technical detail: {detail}</source>
        <translation>技术详情：{detail}</translation>
    </message>
    <message>
        <source>read the PIN from standard input</source>
        <translation>从标准输入读取口令</translation>
    </message>
    <message>
        <source>Exit codes: 0 success, 1 unexpected error, 2 invalid arguments, 3 key/PIN problem, 4 seal/certificate/policy refusal, 5 document problem, 6 usage-log problem, 7 network, 8 verification found a problem, 9 a batch had failures of different kinds, 130 cancelled.</source>
        <translation>退出码：0 成功，1 意外错误，2 参数无效，3 钥匙/口令问题，4 印章/证书/规则拒绝，5 文档问题，6 用印记录问题，7 网络问题，8 验证发现问题，9 批量处理中出现不同类型的失败，130 已取消。</translation>
    </message>
    <message>
        <source>show the versions of SealDesk and its components, the PKCS#11 modules found, and exit</source>
        <translation>显示 SealDesk 及其组件的版本和找到的 PKCS#11 模块，然后退出</translation>
    </message>
    <message>
        <source>with --file on a SES_Signature: the document it signed</source>
        <translation>与 --file 指定的电子签章数据（SES_Signature）一起使用：它所签署的文件</translation>
    </message>
    <message>
        <source>manage the key&apos;s PIN</source>
        <translation>管理钥匙口令</translation>
    </message>
    <message>
        <source>change the user PIN</source>
        <translation>修改用户口令</translation>
    </message>
    <message>
        <source>read current, new and repeated PIN as three lines from stdin</source>
        <translation>从标准输入按三行读取当前口令、新口令和确认口令</translation>
    </message>
    <message>
        <source>(re)create the demo key in your data folder</source>
        <translation>在数据文件夹中（重新）创建演示钥匙</translation>
    </message>
    <message>
        <source>stamp and sign PDF files with a seal from the key</source>
        <translation>用钥匙中的印章为 PDF 文件盖章并签名</translation>
    </message>
    <message>
        <source>PDF files or folders</source>
        <translation>PDF 文件或文件夹</translation>
    </message>
    <message>
        <source>seal ID (or seal name) on the key</source>
        <translation>钥匙中的印章编码（或印章名称）</translation>
    </message>
    <message>
        <source>page number (1-based)</source>
        <translation>页码（从 1 开始）</translation>
    </message>
    <message>
        <source>page list, e.g. 1-3,5,-1</source>
        <translation>页码列表，例如 1-3,5,-1</translation>
    </message>
    <message>
        <source>centre of the seal: X,Y in mm from the page&apos;s top-left corner</source>
        <translation>印章中心：距页面左上角的 X,Y（毫米）</translation>
    </message>
    <message>
        <source>centre the seal on this text</source>
        <translation>将印章中心对准此文字</translation>
    </message>
    <message>
        <source>stamp every match of the keyword, not only the first</source>
        <translation>在关键字的每一处匹配盖章，而不只是第一处</translation>
    </message>
    <message>
        <source>move the seal from the keyword by DX,DY mm</source>
        <translation>相对关键字偏移 DX,DY 毫米</translation>
    </message>
    <message>
        <source>cross-page seal (骑缝章) over the pages</source>
        <translation>在各页加盖骑缝章</translation>
    </message>
    <message>
        <source>edge for the cross-page seal</source>
        <translation>骑缝章所在的页边</translation>
    </message>
    <message>
        <source>vertical centre of the cross-page seal in mm from the top</source>
        <translation>骑缝章中心距页面顶端的距离（毫米）</translation>
    </message>
    <message>
        <source>sign into this existing empty signature field (seal centred in it)</source>
        <translation>签入文档中已有的这个空签名域（印章居中于其中）</translation>
    </message>
    <message>
        <source>output file (or folder for several inputs)</source>
        <translation>输出文件（多个输入时为文件夹）</translation>
    </message>
    <message>
        <source>approval reference (用印审批号)</source>
        <translation>用印审批号</translation>
    </message>
    <message>
        <source>purpose of the stamping</source>
        <translation>用印事由</translation>
    </message>
    <message>
        <source>timestamp authority URL (PAdES B-T)</source>
        <translation>时间戳服务地址（PAdES B-T）</translation>
    </message>
    <message>
        <source>stamp files whose output already holds this seal&apos;s stamping anyway (to the next free name); without it they are skipped</source>
        <translation>输出文件中已有本印章的签章时仍再盖一次（写入下一个可用的文件名）；不加此项则跳过这些文件</translation>
    </message>
    <message>
        <source>trust this root certificate (PEM or DER); repeatable</source>
        <translation>信任此根证书（PEM 或 DER）；可重复指定</translation>
    </message>
    <message>
        <source>write a GB/T 38540 SES_Signature over a document stamped with a seal of the key</source>
        <translation>为已用钥匙中印章盖章的文件生成 GB/T 38540 电子签章数据（SES_Signature）</translation>
    </message>
    <message>
        <source>the stamped document (PDF)</source>
        <translation>已盖章的文件（PDF）</translation>
    </message>
    <message>
        <source>the seal (ID or name) when several seals of the key stamped it</source>
        <translation>印章（编码或名称），在钥匙中有多枚印章盖过该文件时指定</translation>
    </message>
    <message>
        <source>output file (default: the document&apos;s name + .ses)</source>
        <translation>输出文件（默认：文件名后加 .ses）</translation>
    </message>
    <message>
        <source>manage the root certificates trusted when verifying</source>
        <translation>管理验章时信任的根证书</translation>
    </message>
    <message>
        <source>show or check the usage log (用印登记)</source>
        <translation>查看或核验用印登记</translation>
    </message>
    <message>
        <source>verify: also compare with the chain head on the key (asks the PIN)</source>
        <translation>verify：同时与钥匙上的链头比对（需输入 PIN）</translation>
    </message>
    <message>
        <source>first-run flow: demo key when no key is present, list keys and seals</source>
        <translation>首次运行：无钥匙时创建演示钥匙，并列出钥匙和印章</translation>
    </message>
    <message>
        <source>Error: {message}</source>
        <translation>错误：{message}</translation>
    </message>
    <message>
        <source>An unexpected error occurred (a bug in SealDesk). A crash report was written to {path}.</source>
        <translation>发生意外错误（SealDesk 的缺陷）。崩溃报告已写入 {path}。</translation>
    </message>
    <message>
        <source>An unexpected error occurred (a bug in SealDesk). No crash report could be written.</source>
        <translation>发生意外错误（SealDesk 的缺陷）。无法写入崩溃报告。</translation>
    </message>
    <message>
        <source>Warning: the setting “{key}” in settings.json is unknown and ignored.</source>
        <translation>警告：settings.json 中的设置项“{key}”无法识别，已忽略。</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>City system: {url}</source>
        <translation>市电子印章系统：{url}</translation>
    </message>
    <message>
        <source>CA bundle: {path}</source>
        <translation>CA 证书文件：{path}</translation>
    </message>
    <message>
        <source>the system&apos;s trust</source>
        <translation>系统信任的证书</translation>
    </message>
    <message>
        <source>the policy must be allow or refuse</source>
        <translation>策略必须是 allow 或 refuse</translation>
    </message>
    <message>
        <source>When the seal status cannot be checked: {policy}</source>
        <translation>无法查询印章状态时：{policy}</translation>
    </message>
    <message>
        <source>API token of {url}: </source>
        <translation>{url} 的 API 令牌：</translation>
    </message>
    <message>
        <source>API token stored in the keyring for {url}.</source>
        <translation>{url} 的 API 令牌已存入系统密钥环。</translation>
    </message>
    <message>
        <source>State: {state}</source>
        <translation>状态：{state}</translation>
    </message>
    <message>
        <source>Waiting: {pending}   refused: {rejected}</source>
        <translation>待上报：{pending}   被拒收：{rejected}</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <source>Last sync: {time}</source>
        <translation>上次上报：{time}</translation>
    </message>
    <message>
        <source>Last error: {error}</source>
        <translation>上次错误：{error}</translation>
    </message>
    <message>
        <source>Sent to the city system: {synced} ({dup} already there); waiting: {pending}.</source>
        <translation>已上报市系统：{synced} 条（其中 {dup} 条此前已收到）；待上报：{pending} 条。</translation>
    </message>
    <message>
        <source>Refused {record}: {reason} ({detail})</source>
        <translation>被拒收 {record}：{reason}（{detail}）</translation>
    </message>
    <message>
        <source>Registered as holder {holder}.</source>
        <translation>已登记，持章人编号 {holder}。</translation>
    </message>
    <message>
        <source>{chain}: seals {seals}</source>
        <translation>{chain}：印章 {seals}</translation>
    </message>
    <message>
        <source>register the key&apos;s seals with the city e-seal system</source>
        <translation>向市电子印章系统登记本钥匙的印章</translation>
    </message>
    <message>
        <source>the holder&apos;s name</source>
        <translation>持章人姓名</translation>
    </message>
    <message>
        <source>the holder&apos;s organisation</source>
        <translation>持章人单位</translation>
    </message>
    <message>
        <source>add this key to an earlier registration</source>
        <translation>把本钥匙加入已有的登记（持章人编号）</translation>
    </message>
    <message>
        <source>serial of the key to use</source>
        <translation>要使用的钥匙序列号</translation>
    </message>
    <message>
        <source>read the PIN from stdin</source>
        <translation>从标准输入读取口令</translation>
    </message>
    <message>
        <source>send the pending usage records to the city e-seal system</source>
        <translation>把待上报的用印记录发送到市电子印章系统</translation>
    </message>
    <message>
        <source>city e-seal system: address, CA bundle, API token, status</source>
        <translation>市电子印章系统：地址、CA 证书、API 令牌、状态</translation>
    </message>
    <message>
        <source>url: https://…; ca: PEM file (none = system trust); policy: allow or refuse</source>
        <translation>url：https://…；ca：PEM 文件（不填 = 系统信任）；policy：allow 或 refuse</translation>
    </message>
    <message>
        <source>token: read it from stdin</source>
        <translation>token：从标准输入读取</translation>
    </message>
</context>
<context>
    <name>errors</name>
    <message>
        <source>An unexpected error occurred.</source>
        <translation>发生了意外错误。</translation>
    </message>
    <message>
        <source>Invalid input: {what}.</source>
        <translation>输入无效：{what}。</translation>
    </message>
    <message>
        <source>The page list “{spec}” cannot be read at “{item}”. Write it like 1-3,5,-1 (-1 = last page).</source>
        <translation>页码列表“{spec}”中的“{item}”无法识别。请写成 1-3,5,-1 这样的形式（-1 表示最后一页）。</translation>
    </message>
    <message>
        <source>{path}: {problem}</source>
        <translation>{path}：{problem}</translation>
    </message>
    <message>
        <source>The file {path} was not found.</source>
        <translation>找不到文件 {path}。</translation>
    </message>
    <message>
        <source>The file {path} cannot be read: {reason}</source>
        <translation>无法读取文件 {path}：{reason}</translation>
    </message>
    <message>
        <source>The settings file {path} cannot be used: {problem}.</source>
        <translation>设置文件 {path} 无法使用：{problem}。</translation>
    </message>
    <message>
        <source>The operation was cancelled.</source>
        <translation>操作已取消。</translation>
    </message>
    <message>
        <source>The USB key reported an error.</source>
        <translation>智能密码钥匙报告了错误。</translation>
    </message>
    <message>
        <source>The key driver {module} could not be loaded. Check that it is installed and matches this program&apos;s architecture (64-bit drivers for 64-bit SealDesk).</source>
        <translation>无法加载钥匙驱动 {module}。请确认驱动已安装，且与本程序的位数一致（64 位 SealDesk 需要 64 位驱动）。</translation>
    </message>
    <message>
        <source>The {module} is not built: run `make setup` in SealDesk&apos;s source folder.</source>
        <translation>{module} 尚未构建：请在 SealDesk 源代码目录中运行 `make setup`。</translation>
    </message>
    <message>
        <source>No USB key was found. Insert your key and try again.</source>
        <translation>未找到智能密码钥匙。请插入钥匙后重试。</translation>
    </message>
    <message>
        <source>The USB key {token} was not found.</source>
        <translation>未找到智能密码钥匙 {token}。</translation>
    </message>
    <message>
        <source>The USB key was removed during the operation. Nothing was written; insert it and retry.</source>
        <translation>操作过程中钥匙被拔出。未写入任何文件；请插入钥匙后重试。</translation>
    </message>
    <message>
        <source>The PIN was not accepted.</source>
        <translation>保护口令未被接受。</translation>
    </message>
    <message>
        <source>Wrong PIN. {warning}</source>
        <translation>保护口令错误。{warning}</translation>
    </message>
    <message>
        <source>The PIN is locked after too many wrong entries. Ask your seal administrator to unlock the key.</source>
        <translation>口令输错次数过多，已被锁定。请联系印章管理员解锁。</translation>
    </message>
    <message>
        <source>The key requires you to change its PIN before use.</source>
        <translation>使用前必须先修改钥匙口令。</translation>
    </message>
    <message>
        <source>The key has no user PIN yet. Ask your seal administrator to initialise the key.</source>
        <translation>钥匙尚未设置用户口令。请联系印章管理员初始化钥匙。</translation>
    </message>
    <message>
        <source>The PIN does not meet the key&apos;s rules ({rule}).</source>
        <translation>口令不符合钥匙的要求（{rule}）。</translation>
    </message>
    <message>
        <source>{0}–{1} characters</source>
        <translation>{0}–{1} 个字符</translation>
    </message>
    <message>
        <source>at least {0} characters</source>
        <translation>至少 {0} 个字符</translation>
    </message>
    <message>
        <source>text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>The two new PINs do not match.</source>
        <translation>两次输入的新口令不一致。</translation>
    </message>
    <message>
        <source>The signing key for this seal was not found on the USB key.</source>
        <translation>钥匙中未找到该印章对应的签名密钥。</translation>
    </message>
    <message>
        <source>The USB key does not support the signature algorithm {mechanism}.</source>
        <translation>钥匙不支持签名算法 {mechanism}。</translation>
    </message>
    <message>
        <source>OFD seals need an SM2 key: the key of this seal is not an SM2 key. Choose a seal on an SM2 key.</source>
        <translation>OFD 文档的电子签章须使用 SM2 密钥：此印章所在的密钥不是 SM2 密钥。请选择 SM2 密钥上的印章。</translation>
    </message>
    <message>
        <source>The USB key could not make the signature.</source>
        <translation>钥匙未能完成签名。</translation>
    </message>
    <message>
        <source>The USB key returned a signature that does not verify with its certificate; nothing was signed.</source>
        <translation>USB 密钥返回的签名无法用其证书验证；未进行任何签名。</translation>
    </message>
    <message>
        <source>The seal cannot be used.</source>
        <translation>该印章无法使用。</translation>
    </message>
    <message>
        <source>The seal data is damaged or not in a supported format.</source>
        <translation>印章数据已损坏，或格式不受支持。</translation>
    </message>
    <message>
        <source>The seal maker&apos;s signature on the seal is not valid.</source>
        <translation>印章上的制章者签名无效。</translation>
    </message>
    <message>
        <source>The electronic signature made with the seal is not valid: {reason}</source>
        <translation>使用该印章的电子签章无效：{reason}</translation>
    </message>
    <message>
        <source>The seal expired on {date}.</source>
        <translation>印章已于 {date} 过期。</translation>
    </message>
    <message>
        <source>The seal is valid only from {date}.</source>
        <translation>印章自 {date} 起才生效。</translation>
    </message>
    <message>
        <source>The seal is not bound to this signing certificate.</source>
        <translation>印章未与该签名证书绑定。</translation>
    </message>
    <message>
        <source>The seal {seal} was not found.</source>
        <translation>未找到印章 {seal}。</translation>
    </message>
    <message>
        <source>No seal on the key matches “{seal}”. The seals on the key: {seals}.</source>
        <translation>钥匙中没有与“{seal}”匹配的印章。钥匙中的印章：{seals}。</translation>
    </message>
    <message>
        <source>Several seals match “{seal}”: {seals}. Give more of the seal&apos;s ID or its full name.</source>
        <translation>有多枚印章与“{seal}”匹配：{seals}。请给出更长的印章编码或完整名称。</translation>
    </message>
    <message>
        <source>The seal has been {status} by the seal authority.</source>
        <translation>印章已被印章管理机构{status}。</translation>
    </message>
    <message>
        <source>The seal picture type {type} cannot be shown.</source>
        <translation>无法显示 {type} 类型的印模图像。</translation>
    </message>
    <message>
        <source>The certificate cannot be used.</source>
        <translation>该证书无法使用。</translation>
    </message>
    <message>
        <source>The signing certificate expired on {date}.</source>
        <translation>签名证书已于 {date} 过期。</translation>
    </message>
    <message>
        <source>The signing certificate is valid only from {date}.</source>
        <translation>签名证书自 {date} 起才生效。</translation>
    </message>
    <message>
        <source>The seal maker&apos;s certificate expired on {date}.</source>
        <translation>制章者证书已于 {date} 过期。</translation>
    </message>
    <message>
        <source>The seal maker&apos;s certificate is valid only from {date}.</source>
        <translation>制章者证书自 {date} 起才生效。</translation>
    </message>
    <message>
        <source>The certificate is damaged or unreadable.</source>
        <translation>证书已损坏或无法读取。</translation>
    </message>
    <message>
        <source>“{subject}” cannot be a trusted root: {reason}</source>
        <translation>“{subject}”不能作为受信任的根证书：{reason}</translation>
    </message>
    <message>
        <source>The file {path} listed in trust_roots in settings.json cannot be used as a trusted root: {problem}</source>
        <translation>settings.json 的 trust_roots 中列出的文件 {path} 不能用作受信任的根证书：{problem}</translation>
    </message>
    <message>
        <source>Stamping is not allowed: {reason}</source>
        <translation>不允许盖章：{reason}</translation>
    </message>
    <message>
        <source>An official seal needs an approval reference (用印审批号) before use: give it with --approval.</source>
        <translation>使用公章前必须提供用印审批号：请用 --approval 指定。</translation>
    </message>
    <message>
        <source>The document cannot be processed.</source>
        <translation>无法处理该文档。</translation>
    </message>
    <message>
        <source>The document {name} is damaged or not a PDF.</source>
        <translation>文档 {name} 已损坏，或不是 PDF 文件。</translation>
    </message>
    <message>
        <source>The document {name} was not found.</source>
        <translation>未找到文档 {name}。</translation>
    </message>
    <message>
        <source>The document {name} needs a password to open. Remove the password first, then stamp the copy.</source>
        <translation>文档 {name} 需要密码才能打开。请先移除密码，再对移除密码后的副本盖章。</translation>
    </message>
    <message>
        <source>The OFD document {name} cannot be read: {problem}.</source>
        <translation>无法读取 OFD 文档 {name}：{problem}。</translation>
    </message>
    <message>
        <source>The OFD document {name} is damaged: its part {part} is missing.</source>
        <translation>OFD 文档 {name} 已损坏：缺少其部件 {part}。</translation>
    </message>
    <message>
        <source>The OFD document {name} was refused as unsafe: {problem}.</source>
        <translation>OFD 文档 {name} 不安全，已拒绝打开：{problem}。</translation>
    </message>
    <message>
        <source>The document {name} is certified and its certification forbids further signatures.</source>
        <translation>文档 {name} 已被认证签名，其认证不允许再添加签名。</translation>
    </message>
    <message>
        <source>The OFD document {name} is sealed so that no further seal may be added (an earlier signature protects its list of signatures).</source>
        <translation>OFD 文档 {name} 已被锁定，不能再加盖印章（已有签名保护了其签名列表）。</translation>
    </message>
    <message>
        <source>The document {name} is certified and its certification allows signing only its empty signature fields ({fields}). Choose one with --field.</source>
        <translation>文档 {name} 已被认证签名，其认证只允许在已有的空签名域中签名（{fields}）。请用 --field 选择其中一个。</translation>
    </message>
    <message>
        <source>The document has no field “{field}”. Its empty signature fields: {fields}.</source>
        <translation>文档中没有名为“{field}”的域。文档中的空签名域：{fields}。</translation>
    </message>
    <message>
        <source>The signature field “{field}” is already signed. The empty signature fields: {fields}.</source>
        <translation>签名域“{field}”已经签过名。空签名域：{fields}。</translation>
    </message>
    <message>
        <source>The field “{field}” is not a signature field. The empty signature fields: {fields}.</source>
        <translation>域“{field}”不是签名域。空签名域：{fields}。</translation>
    </message>
    <message>
        <source>Page {page} does not exist (the document has {count} pages).</source>
        <translation>第 {page} 页不存在（文档共 {count} 页）。</translation>
    </message>
    <message>
        <source>The text “{keyword}” was not found in the document.</source>
        <translation>文档中未找到文字“{keyword}”。</translation>
    </message>
    <message>
        <source>The seal cannot be placed there: {reason}</source>
        <translation>印章不能放在该位置：{reason}</translation>
    </message>
    <message>
        <source>A {seal_width}×{seal_height} mm seal centred at {x},{y} mm would lie partly off page {page}, which is {width}×{height} mm (width × height as displayed). Move it so that the whole seal is on the page.</source>
        <translation>以 {x},{y} 毫米为中心的 {seal_width}×{seal_height} 毫米印章会有一部分超出第 {page} 页（该页为 {width}×{height} 毫米，按显示方向的宽×高）。请移动位置，使整个印章都在页面内。</translation>
    </message>
    <message>
        <source>The position {x},{y} mm is not on page {page}, which is {width}×{height} mm (width × height as displayed, measured from the top-left corner).</source>
        <translation>位置 {x},{y} 毫米不在第 {page} 页内（该页为 {width}×{height} 毫米，按显示方向的宽×高，从左上角起量）。</translation>
    </message>
    <message>
        <source>A {width} mm seal cannot be cut into {count} slices: each would be narrower than {minimum} mm. Stamp at most {most} pages at a time with --pages.</source>
        <translation>{width} 毫米的印章不能切成 {count} 份：每份将窄于 {minimum} 毫米。请用 --pages 每次最多加盖 {most} 页。</translation>
    </message>
    <message>
        <source>already stamped ({output})</source>
        <translation>已盖章（{output}）</translation>
    </message>
    <message>
        <source>The signed file could not be written to {path}.</source>
        <translation>无法将签章后的文件写入 {path}。</translation>
    </message>
    <message>
        <source>{path} already exists. Choose another name with --out, or move that file away first.</source>
        <translation>{path} 已存在。请用 --out 指定其他文件名，或先移走该文件。</translation>
    </message>
    <message>
        <source>The signed file could not be written to the folder {folder}: {reason}</source>
        <translation>签章后的文件无法写入文件夹 {folder}：{reason}</translation>
    </message>
    <message>
        <source>SealDesk cannot use {path}: {reason}.</source>
        <translation>SealDesk 无法使用 {path}：{reason}。</translation>
    </message>
    <message>
        <source>The signed file must not replace the original document.</source>
        <translation>签章后的文件不能覆盖原文档。</translation>
    </message>
    <message>
        <source>The usage log could not be written.</source>
        <translation>无法写入用印记录。</translation>
    </message>
    <message>
        <source>The usage log has been altered or damaged: {problem}</source>
        <translation>用印记录已被篡改或损坏：{problem}</translation>
    </message>
    <message>
        <source>The usage log {path} cannot be read: it does not have the layout this SealDesk expects.</source>
        <translation>无法读取用印记录 {path}：其结构与本版 SealDesk 预期的不同。</translation>
    </message>
    <message>
        <source>The usage log has been altered or damaged: record {record} (number {seq}) cannot be read.</source>
        <translation>用印记录已被篡改或损坏：记录 {record}（序号 {seq}）无法读取。</translation>
    </message>
    <message>
        <source>{output} was stamped and its usage record (number {seq}) saved, but the usage-log chain head on the key could not be updated: {problem} It is brought up to date at the next stamping with this key.</source>
        <translation>{output} 已盖章，用印记录（序号 {seq}）已保存，但未能更新钥匙上的用印记录链头：{problem} 下次用这把钥匙盖章时会补上。</translation>
    </message>
    <message>
        <source>The server {server} could not be reached.</source>
        <translation>无法连接服务器 {server}。</translation>
    </message>
    <message>
        <source>The server {server} sent an answer SealDesk does not understand.</source>
        <translation>服务器 {server} 的应答无法识别。</translation>
    </message>
    <message>
        <source>No city e-seal system is set up. Set its address with “sealdesk city url https://…”.</source>
        <translation>尚未设置市电子印章系统。请用“sealdesk city url https://…”设置其地址。</translation>
    </message>
    <message>
        <source>The city system address “{url}” cannot be used: {problem}.</source>
        <translation>市系统地址“{url}”不能使用：{problem}。</translation>
    </message>
    <message>
        <source>There is no API token for the city system {server}. Set it with “sealdesk city token” (or, where no keyring exists, in the environment variable SEALDESK_CITY_TOKEN).</source>
        <translation>没有市系统 {server} 的 API 令牌。请用“sealdesk city token”设置（没有系统密钥环时，可设置环境变量 SEALDESK_CITY_TOKEN）。</translation>
    </message>
    <message>
        <source>No keyring (password store) is available on this computer to keep the API token ({problem}). Set the environment variable SEALDESK_CITY_TOKEN instead.</source>
        <translation>本机没有可保存 API 令牌的系统密钥环（{problem}）。请改为设置环境变量 SEALDESK_CITY_TOKEN。</translation>
    </message>
    <message>
        <source>The city e-seal system {server} could not be reached: {problem}.</source>
        <translation>无法连接市电子印章系统 {server}：{problem}。</translation>
    </message>
    <message>
        <source>The secure connection to the city system {server} failed: {problem}. Check the CA bundle setting (“sealdesk city ca FILE”, or the system&apos;s trusted certificates).</source>
        <translation>与市系统 {server} 的安全连接失败：{problem}。请检查 CA 证书设置（“sealdesk city ca 文件”，或系统信任的证书）。</translation>
    </message>
    <message>
        <source>The city system refused the API token. Set the right token with “sealdesk city token”.</source>
        <translation>市系统拒绝了 API 令牌。请用“sealdesk city token”设置正确的令牌。</translation>
    </message>
    <message>
        <source>The city system sent an answer SealDesk cannot read.</source>
        <translation>市系统返回了 SealDesk 无法读取的应答。</translation>
    </message>
    <message>
        <source>The city system {server} kept failing (HTTP {status}, {attempts} attempts); try again later.</source>
        <translation>市系统 {server} 持续出错（HTTP {status}，已尝试 {attempts} 次）；请稍后再试。</translation>
    </message>
    <message>
        <source>The city system refused the request: {reason}</source>
        <translation>市系统拒绝了请求：{reason}</translation>
    </message>
    <message>
        <source>Another sync with the city system is running; try again when it has finished.</source>
        <translation>另一个上报正在进行；请在它结束后再试。</translation>
    </message>
    <message>
        <source>The city e-seal system lists the seal {seal} as {status}; stamping with it is refused.{reason}</source>
        <translation>市电子印章系统显示印章 {seal} 已{status}；拒绝用此印章盖章。{reason}</translation>
    </message>
    <message>
        <source>The status of the seal {seal} could not be checked with the city system, and the settings refuse stamping without it. {problem}</source>
        <translation>无法向市系统查询印章 {seal} 的状态，而设置要求未核验状态时不得盖章。{problem}</translation>
    </message>
    <message>
        <source>the disk is full</source>
        <translation>磁盘已满</translation>
    </message>
    <message>
        <source>the disk quota is exhausted</source>
        <translation>磁盘配额已用完</translation>
    </message>
    <message>
        <source>the folder is on a read-only file system</source>
        <translation>该文件夹位于只读文件系统上</translation>
    </message>
    <message>
        <source>permission denied</source>
        <translation>权限不足</translation>
    </message>
    <message>
        <source>the operation is not permitted</source>
        <translation>不允许此操作</translation>
    </message>
    <message>
        <source>the folder does not exist</source>
        <translation>文件夹不存在</translation>
    </message>
    <message>
        <source>a part of the path is not a folder</source>
        <translation>路径中有一部分不是文件夹</translation>
    </message>
    <message>
        <source>it is a folder</source>
        <translation>这是一个文件夹</translation>
    </message>
    <message>
        <source>the file name is too long</source>
        <translation>文件名过长</translation>
    </message>
    <message>
        <source>input/output error (is the disk or USB stick still connected?)</source>
        <translation>输入/输出错误（磁盘或U盘是否仍然连接？）</translation>
    </message>
    <message>
        <source>too many open files</source>
        <translation>打开的文件过多</translation>
    </message>
    <message>
        <source>“{name}” holds no intact signature made with a seal on this key. A SES_Signature is exported only for a document stamped with one of the key&apos;s seals: stamp it first.</source>
        <translation>“{name}”中没有用此钥匙中印章所做的完好签章。电子签章数据（SES_Signature）只为用钥匙中印章盖过章的文件生成：请先盖章。</translation>
    </message>
    <message>
        <source>The seal “{seal}” did not stamp “{name}”. The key&apos;s seals that did: {seals}.</source>
        <translation>印章“{seal}”没有在“{name}”上盖章。钥匙中盖过该文件的印章：{seals}。</translation>
    </message>
    <message>
        <source>Few tries left before the PIN locks.</source>
        <translation>距口令锁定只剩少数几次尝试机会。</translation>
    </message>
    <message>
        <source>Last try: one more wrong PIN locks the key.</source>
        <translation>最后一次机会：再输错一次将锁定钥匙。</translation>
    </message>
    <message>
        <source>The PIN is locked.</source>
        <translation>口令已锁定。</translation>
    </message>
    <message>
        <source>The PIN must be changed.</source>
        <translation>必须修改口令。</translation>
    </message>
    <message>
        <source>The key has no user PIN yet.</source>
        <translation>钥匙尚未设置用户口令。</translation>
    </message>
    <message>
        <source>the holder&apos;s name and organisation are needed</source>
        <translation>需要持章人姓名和单位</translation>
    </message>
    <message>
        <source>revoked</source>
        <translation>吊销</translation>
    </message>
    <message>
        <source>suspended</source>
        <translation>暂停使用</translation>
    </message>
    <message>
        <source>the seal size must be positive</source>
        <translation>印章尺寸必须大于零</translation>
    </message>
    <message>
        <source>the seal lies entirely outside the page</source>
        <translation>印章完全位于页面之外</translation>
    </message>
    <message>
        <source>a page list</source>
        <translation>页码列表</translation>
    </message>
    <message>
        <source>the page list is empty</source>
        <translation>页码列表为空</translation>
    </message>
    <message>
        <source>the keyword is empty</source>
        <translation>关键字为空</translation>
    </message>
    <message>
        <source>the keyword offset in mm</source>
        <translation>以毫米表示的关键字偏移</translation>
    </message>
    <message>
        <source>the seal edge (use right or left)</source>
        <translation>骑缝章页边（请用 right 或 left）</translation>
    </message>
    <message>
        <source>a cross-page seal needs at least 2 pages</source>
        <translation>骑缝章至少需要 2 页</translation>
    </message>
    <message>
        <source>a cross-page seal needs distinct pages</source>
        <translation>骑缝章的页码不能重复</translation>
    </message>
    <message>
        <source>the seal position in mm</source>
        <translation>以毫米表示的印章位置</translation>
    </message>
    <message>
        <source>it is not a CA certificate (its basic constraints do not say cA).</source>
        <translation>它不是 CA 证书（基本约束中没有 cA 标志）。</translation>
    </message>
    <message>
        <source>it expired on {date}.</source>
        <translation>它已于 {date} 过期。</translation>
    </message>
    <message>
        <source>it is valid only from {date}.</source>
        <translation>它自 {date} 起才生效。</translation>
    </message>
    <message>
        <source>its key type {algorithm} is not supported (RSA of 2048 bits or more, EC P-256/P-384/P-521, SM2).</source>
        <translation>不支持其密钥类型 {algorithm}（支持 2048 位及以上 RSA、EC P-256/P-384/P-521、SM2）。</translation>
    </message>
    <message>
        <source>a certificate file that exists and can be read</source>
        <translation>存在且可读取的证书文件</translation>
    </message>
    <message>
        <source>a fingerprint (at least 8 hex digits) or a file name shown by `sealdesk trust list`</source>
        <translation>指纹（至少 8 位十六进制数字）或 `sealdesk trust list` 显示的文件名</translation>
    </message>
    <message>
        <source>a fingerprint that matches exactly one trusted root (see `sealdesk trust list`)</source>
        <translation>只与一个受信任根证书匹配的指纹（见 `sealdesk trust list`）</translation>
    </message>
    <message>
        <source>it is not UTF-8 text</source>
        <translation>它不是 UTF-8 文本</translation>
    </message>
    <message>
        <source>it is not valid JSON (line {line}, column {column})</source>
        <translation>它不是有效的 JSON（第 {line} 行，第 {column} 列）</translation>
    </message>
    <message>
        <source>it is nested too deeply</source>
        <translation>嵌套层数过深</translation>
    </message>
    <message>
        <source>its top level must be a JSON object (settings in curly brackets)</source>
        <translation>其顶层必须是 JSON 对象（用花括号括起的设置）</translation>
    </message>
    <message>
        <source>the setting “{key}” must be a text in quotes</source>
        <translation>设置项“{key}”必须是带引号的文本</translation>
    </message>
    <message>
        <source>the setting “{key}” must be true or false (without quotes)</source>
        <translation>设置项“{key}”必须是 true 或 false（不带引号）</translation>
    </message>
    <message>
        <source>the setting “{key}” must be a list of texts, like [&quot;a&quot;, &quot;b&quot;]</source>
        <translation>设置项“{key}”必须是文本列表，如 [&quot;a&quot;, &quot;b&quot;]</translation>
    </message>
    <message>
        <source>the setting “{key}” must be a whole number of 0 or more (without quotes)</source>
        <translation>设置“{key}”必须是 0 或更大的整数（不加引号）</translation>
    </message>
    <message>
        <source>the setting “{key}” must be an object of texts, like {{&quot;a&quot;: &quot;b&quot;}}</source>
        <translation>设置“{key}”必须是文本对象，例如 {{&quot;a&quot;: &quot;b&quot;}}</translation>
    </message>
    <message>
        <source>the setting “{key}” must be allow or refuse</source>
        <translation>设置“{key}”必须是 allow 或 refuse</translation>
    </message>
    <message>
        <source>the setting “{key}” (the digest of PDF signatures) must be sha256, sha384 or sha512</source>
        <translation>设置项“{key}”（PDF 签名的摘要算法）必须是 sha256、sha384 或 sha512</translation>
    </message>
    <message>
        <source>the signature field has no single visible box on a page to draw the seal in</source>
        <translation>该签名域在页面上没有唯一的可见区域可放置印章</translation>
    </message>
    <message>
        <source>the seal at its true size does not fit in the signature field</source>
        <translation>按实际尺寸，印章放不进该签名域</translation>
    </message>
    <message>
        <source>an OFD document has no signature fields; place the seal instead</source>
        <translation>OFD 文档没有签名域，请直接放置印章</translation>
    </message>
    <message>
        <source>settings.json: hash_name (sha256, sha384 or sha512)</source>
        <translation>settings.json 中的 hash_name（sha256、sha384 或 sha512）</translation>
    </message>
    <message>
        <source>--tsa / tsa_url (an http:// or https:// address)</source>
        <translation>--tsa / tsa_url（http:// 或 https:// 地址）</translation>
    </message>
    <message>
        <source>the page cannot be shown this large</source>
        <translation>页面无法放大到这个程度</translation>
    </message>
    <message>
        <source>the document is closed</source>
        <translation>文档已关闭</translation>
    </message>
    <message>
        <source>its structure is broken</source>
        <translation>其结构已损坏</translation>
    </message>
    <message>
        <source>no PDF files given</source>
        <translation>未指定 PDF 文件</translation>
    </message>
    <message>
        <source>plain http:// is allowed only to this computer (127.0.0.1); use https:// for a city system</source>
        <translation>明文 http:// 只允许连接本机（127.0.0.1）；市系统请使用 https://</translation>
    </message>
    <message>
        <source>it must start with https:// and name a server</source>
        <translation>地址必须以 https:// 开头并包含服务器名</translation>
    </message>
    <message>
        <source>it did not answer in time</source>
        <translation>未在规定时间内应答</translation>
    </message>
    <message>
        <source>the connection was refused or broken (is the address right, is it running?)</source>
        <translation>连接被拒绝或中断（地址是否正确，服务是否在运行？）</translation>
    </message>
    <message>
        <source>it answered with a redirection, which SealDesk does not follow</source>
        <translation>它返回了重定向，SealDesk 不跟随重定向</translation>
    </message>
    <message>
        <source>the CA bundle file {path} cannot be read</source>
        <translation>无法读取 CA 证书文件 {path}</translation>
    </message>
    <message>
        <source>its certificate is not issued by a trusted CA ({tls_detail})</source>
        <translation>其证书不是由受信任的 CA 签发的（{tls_detail}）</translation>
    </message>
    <message>
        <source>the API token was refused</source>
        <translation>API 令牌被拒绝</translation>
    </message>
    <message>
        <source>the request was not understood ({server_detail})</source>
        <translation>请求无法被理解（{server_detail}）</translation>
    </message>
    <message>
        <source>it does not know this item ({server_detail})</source>
        <translation>没有此项（{server_detail}）</translation>
    </message>
    <message>
        <source>the registration challenge expired or was already used; register again</source>
        <translation>登记挑战值已过期或已使用；请重新登记</translation>
    </message>
    <message>
        <source>the key&apos;s certificate is not issued by a CA the city system trusts ({server_detail})</source>
        <translation>钥匙的证书不是由市系统信任的 CA 签发的（{server_detail}）</translation>
    </message>
    <message>
        <source>the key&apos;s signature over the challenge is not valid</source>
        <translation>钥匙对挑战值的签名无效</translation>
    </message>
    <message>
        <source>too many records in one request</source>
        <translation>一次请求中的记录过多</translation>
    </message>
    <message>
        <source>HTTP {status}: {server_detail}</source>
        <translation>HTTP {status}：{server_detail}</translation>
    </message>
    <message>
        <source>the API token is empty</source>
        <translation>API 令牌为空</translation>
    </message>
    <message>
        <source>it would unpack to far more data than it holds (a zip bomb)</source>
        <translation>解压后的数据量远超其自身大小（压缩炸弹）</translation>
    </message>
    <message>
        <source>it has too many parts</source>
        <translation>其中的部件过多</translation>
    </message>
    <message>
        <source>a part name points outside the package</source>
        <translation>某个部件的路径指向包外</translation>
    </message>
    <message>
        <source>it is not an OFD package (not a zip file)</source>
        <translation>它不是 OFD 包（不是 zip 文件）</translation>
    </message>
    <message>
        <source>a part is encrypted</source>
        <translation>某个部件已加密</translation>
    </message>
    <message>
        <source>a part cannot be unpacked</source>
        <translation>某个部件无法解压</translation>
    </message>
    <message>
        <source>it names no document (DocBody/DocRoot)</source>
        <translation>其中未指明文档（DocBody/DocRoot）</translation>
    </message>
    <message>
        <source>it has no pages</source>
        <translation>其中没有页面</translation>
    </message>
    <message>
        <source>a part holds a number that cannot be read</source>
        <translation>某个部件中含有无法读取的数值</translation>
    </message>
    <message>
        <source>a page has no usable size (PhysicalBox)</source>
        <translation>某页没有可用的尺寸（PhysicalBox）</translation>
    </message>
    <message>
        <source>it has too many pages</source>
        <translation>页数过多</translation>
    </message>
    <message>
        <source>a page cannot be drawn</source>
        <translation>某页无法绘制</translation>
    </message>
    <message>
        <source>a part declares XML entities</source>
        <translation>某个部件声明了 XML 实体</translation>
    </message>
    <message>
        <source>a part is not well-formed XML</source>
        <translation>某个部件不是格式正确的 XML</translation>
    </message>
    <message>
        <source>the seal&apos;s position</source>
        <translation>印章位置</translation>
    </message>
</context>
<context>
    <name>gui</name>
    <message>
        <source>No display found: starting the command-line first-run flow instead.</source>
        <translation>未找到图形显示：改为运行命令行的首次使用流程。</translation>
    </message>
    <message>
        <source>The demo city system did not start: {reason}</source>
        <translation>演示用的市电子印章系统未能启动：{reason}</translation>
    </message>
</context>
<context>
    <name>policy</name>
    <message>
        <source>The signing certificate expires in {days} days ({date}).</source>
        <translation>签名证书将在 {days} 天后（{date}）到期。</translation>
    </message>
    <message>
        <source>The seal expires in {days} days ({date}).</source>
        <translation>印章将在 {days} 天后（{date}）到期。</translation>
    </message>
</context>
<context>
    <name>report</name>
    <message>
        <source>Invalid: the signature is broken or the signed content was changed</source>
        <translation>无效：签名已损坏或签署内容已被更改</translation>
    </message>
    <message>
        <source>Invalid: the document was modified after signing</source>
        <translation>无效：文档在签署后已被修改</translation>
    </message>
    <message>
        <source>Invalid: the electronic seal is not valid</source>
        <translation>无效：电子印章无效</translation>
    </message>
    <message>
        <source>Invalid: the picture on the page does not match the seal</source>
        <translation>无效：页面上的图片与印章不符</translation>
    </message>
    <message>
        <source>Intact, but the signer&apos;s certificate is not trusted</source>
        <translation>文档完整，但签署人证书不受信任</translation>
    </message>
    <message>
        <source>Intact, but the seal maker is not trusted</source>
        <translation>文档完整，但制章者不受信任</translation>
    </message>
    <message>
        <source>Intact, but the certificate was not valid at the signing time</source>
        <translation>文档完整，但签署时证书不在有效期内</translation>
    </message>
    <message>
        <source>Valid signature without an electronic seal</source>
        <translation>有效签名（不含电子印章）</translation>
    </message>
    <message>
        <source>Valid; the signer&apos;s certificate expires within 90 days</source>
        <translation>有效；签署人证书将在 90 天内到期</translation>
    </message>
    <message>
        <source>Valid for its time: valid when signed; the certificate or the seal has expired since</source>
        <translation>签署时有效（证书或印章现已过期）</translation>
    </message>
    <message>
        <source>Valid</source>
        <translation>有效</translation>
    </message>
    <message>
        <source>Not trusted</source>
        <translation>不受信任</translation>
    </message>
    <message>
        <source>Invalid / modified</source>
        <translation>无效 / 已被修改</translation>
    </message>
    <message>
        <source>No signatures</source>
        <translation>无签章</translation>
    </message>
    <message>
        <source>no changes after signing</source>
        <translation>签署后无修改</translation>
    </message>
    <message>
        <source>form filling and later signatures only</source>
        <translation>仅有表单填写和后续签章</translation>
    </message>
    <message>
        <source>annotations, seal stamps and later signatures only</source>
        <translation>仅有批注、印章图片和后续签章</translation>
    </message>
    <message>
        <source>other changes after signing (not allowed)</source>
        <translation>签署后有其他修改（不允许）</translation>
    </message>
    <message>
        <source>the certificate does not lead to a trusted root</source>
        <translation>证书无法追溯到受信任的根证书</translation>
    </message>
    <message>
        <source>the document was changed after it was signed</source>
        <translation>文档在签署后被更改</translation>
    </message>
    <message>
        <source>the signature value does not match the certificate</source>
        <translation>签名值与证书不匹配</translation>
    </message>
    <message>
        <source>the certificate has been revoked</source>
        <translation>证书已被吊销</translation>
    </message>
    <message>
        <source>valid</source>
        <translation>有效</translation>
    </message>
    <message>
        <source>expired at the signing time</source>
        <translation>签署时已过期</translation>
    </message>
    <message>
        <source>not yet valid at the signing time</source>
        <translation>签署时尚未生效</translation>
    </message>
    <message>
        <source>invalid (damaged, or the maker&apos;s signature does not verify)</source>
        <translation>无效（已损坏，或制章者签名验证失败）</translation>
    </message>
    <message>
        <source>not bound to the signer&apos;s certificate</source>
        <translation>未绑定签署人的证书</translation>
    </message>
    <message>
        <source>valid, but the seal maker is not trusted</source>
        <translation>有效，但制章者不受信任</translation>
    </message>
    <message>
        <source>the picture on the page does not match the seal</source>
        <translation>页面上的图片与印章不符</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>timestamped (trusted)</source>
        <translation>时间戳（受信任）</translation>
    </message>
    <message>
        <source>timestamped (not trusted)</source>
        <translation>时间戳（不受信任）</translation>
    </message>
    <message>
        <source>claimed by the signer, no timestamp</source>
        <translation>签署人电脑声明的时间，无时间戳</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Signature field</source>
        <translation>签名域</translation>
    </message>
    <message>
        <source>Signer</source>
        <translation>签署人</translation>
    </message>
    <message>
        <source>Organisation</source>
        <translation>单位</translation>
    </message>
    <message>
        <source>Certificate serial</source>
        <translation>证书序列号</translation>
    </message>
    <message>
        <source>Seal</source>
        <translation>印章</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>Seal ID</source>
        <translation>印章编码</translation>
    </message>
    <message>
        <source>Seal maker</source>
        <translation>制章者</translation>
    </message>
    <message>
        <source>Seal check</source>
        <translation>印章检查</translation>
    </message>
    <message>
        <source>Signing time</source>
        <translation>签署时间</translation>
    </message>
    <message>
        <source>Time claimed by the signer</source>
        <translation>签署人声明的时间</translation>
    </message>
    <message>
        <source>Certificate chain trusted</source>
        <translation>证书链受信任</translation>
    </message>
    <message>
        <source>Certificate valid at signing</source>
        <translation>签署时证书有效</translation>
    </message>
    <message>
        <source>Certificate valid until</source>
        <translation>证书有效期至</translation>
    </message>
    <message>
        <source>Changes after signing</source>
        <translation>签署后的修改</translation>
    </message>
    <message>
        <source>Seal on page(s)</source>
        <translation>印章所在页</translation>
    </message>
    <message>
        <source>Files</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Verification report</source>
        <translation>验章报告</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Verified at</source>
        <translation>验证时间</translation>
    </message>
    <message>
        <source>Overall result</source>
        <translation>总体结果</translation>
    </message>
    <message>
        <source>Signatures</source>
        <translation>签章数</translation>
    </message>
    <message>
        <source>Signature {number}: {title}</source>
        <translation>签章 {number}：{title}</translation>
    </message>
    <message>
        <source>The document has no signatures.</source>
        <translation>此文档没有签章。</translation>
    </message>
    <message>
        <source>Made by SealDesk.</source>
        <translation>由 SealDesk 生成。</translation>
    </message>
</context>
<context>
    <name>seal-kinds</name>
    <message>
        <source>Official seal (legal name)</source>
        <translation>公章（法定名称章）</translation>
    </message>
    <message>
        <source>Personal seal</source>
        <translation>个人印章（私章）</translation>
    </message>
    <message>
        <source>Duty seal (legal representative)</source>
        <translation>职务章（法定代表人章）</translation>
    </message>
    <message>
        <source>Contract seal</source>
        <translation>合同专用章</translation>
    </message>
    <message>
        <source>Finance seal</source>
        <translation>财务专用章</translation>
    </message>
    <message>
        <source>Invoice seal</source>
        <translation>发票专用章</translation>
    </message>
    <message>
        <source>Customs declaration seal</source>
        <translation>报关专用章</translation>
    </message>
    <message>
        <source>Audit seal</source>
        <translation>审验专用章</translation>
    </message>
    <message>
        <source>Duty seal (finance head)</source>
        <translation>职务章（财务负责人章）</translation>
    </message>
    <message>
        <source>Duty seal (other)</source>
        <translation>职务章（其他）</translation>
    </message>
    <message>
        <source>Other seal</source>
        <translation>其他印章</translation>
    </message>
</context>
<context>
    <name>usage-log</name>
    <message>
        <source>Record {record_id} (holder {holder}, number {seq}): {problem}.</source>
        <translation>记录 {record_id}（持有者 {holder}，序号 {seq}）：{problem}。</translation>
    </message>
    <message>
        <source>its fields are damaged or not in the record format</source>
        <translation>其字段已损坏或不符合记录格式</translation>
    </message>
    <message>
        <source>it cannot be read (a field is damaged)</source>
        <translation>无法读取（有字段已损坏）</translation>
    </message>
    <message>
        <source>record number {missing} is missing before it (deleted records?)</source>
        <translation>在它之前缺少序号 {missing} 的记录（记录被删除？）</translation>
    </message>
    <message>
        <source>the number {number} appears twice</source>
        <translation>序号 {number} 出现了两次</translation>
    </message>
    <message>
        <source>it does not link to the previous record (the chain is broken)</source>
        <translation>它与上一条记录衔接不上（哈希链断裂）</translation>
    </message>
    <message>
        <source>its content cannot be encoded canonically</source>
        <translation>其内容无法规范编码</translation>
    </message>
    <message>
        <source>its content does not match its hash (the record was edited)</source>
        <translation>其内容与哈希值不符（记录被修改过）</translation>
    </message>
    <message>
        <source>it was signed with certificate {cert}, not with the holder&apos;s certificate {holder_cert}</source>
        <translation>它由证书 {cert} 签名，而不是持有者的证书 {holder_cert}</translation>
    </message>
    <message>
        <source>its signer certificate {cert} is not in the log</source>
        <translation>其签名证书 {cert} 不在用印记录中</translation>
    </message>
    <message>
        <source>its signature could not be checked (this key type is not supported yet)</source>
        <translation>无法检查其签名（暂不支持此类密钥）</translation>
    </message>
    <message>
        <source>its signature is not valid</source>
        <translation>其签名无效</translation>
    </message>
    <message>
        <source>it voids record {target}, which is not an earlier record of this holder</source>
        <translation>它作废了记录 {target}，但该记录不是此持有者之前的记录</translation>
    </message>
    <message>
        <source>it voids record {target}, which is not a signed record</source>
        <translation>它作废了记录 {target}，但该记录不是已签章记录</translation>
    </message>
    <message>
        <source>it voids record {target} a second time</source>
        <translation>它再次作废了记录 {target}</translation>
    </message>
    <message>
        <source>Holder {holder}: the usage log was rewound: records {span} are missing (the chain head on the key is further on).</source>
        <translation>持章人 {holder}：用印记录被回退，缺少第 {span} 号记录（钥匙上的链头更靠后）。</translation>
    </message>
    <message>
        <source>Holder {holder}: record {seq} is not the one the chain head on the key names (the usage log was rewritten).</source>
        <translation>持章人 {holder}：第 {seq} 号记录与钥匙上链头所指的记录不符（用印记录被改写）。</translation>
    </message>
    <message>
        <source>Holder {holder}: no chain head on the key (records written by an older SealDesk?); deleted newest records cannot be detected until the next stamping.</source>
        <translation>持章人 {holder}：钥匙上没有链头（记录由旧版 SealDesk 写入？）；在下次盖章之前，无法发现被删除的最新记录。</translation>
    </message>
    <message>
        <source>Key {holder}: the chain head on the key is damaged.</source>
        <translation>钥匙 {holder}：钥匙上的链头已损坏。</translation>
    </message>
</context>
<context>
    <name>verification</name>
    <message>
        <source>the picture does not match the seal</source>
        <translation>页面上的印模与印章不符</translation>
    </message>
    <message>
        <source>the seal&apos;s own picture cannot be decoded, so the picture on the page cannot be checked</source>
        <translation>印章自带的印模无法解码，因此无法核对页面上的印模</translation>
    </message>
    <message>
        <source>the seal&apos;s picture is not shown on the page</source>
        <translation>页面上未显示该印章的印模</translation>
    </message>
    <message>
        <source>the seal maker&apos;s certificate does not lead to a trusted root</source>
        <translation>制章者证书不能链接到受信任的根证书</translation>
    </message>
    <message>
        <source>the document was changed after it was signed</source>
        <translation>签章后文档被修改过</translation>
    </message>
    <message>
        <source>the signature value does not match the certificate</source>
        <translation>签名值与证书不匹配</translation>
    </message>
    <message>
        <source>the certificate has been revoked</source>
        <translation>证书已被吊销</translation>
    </message>
    <message>
        <source>the certificate does not lead to a trusted root; if you trust its issuer, add the root with `sealdesk trust add ROOT.pem`</source>
        <translation>证书不能链接到受信任的根证书；如确认其颁发者可信，请用 `sealdesk trust add 根证书.pem` 添加</translation>
    </message>
    <message>
        <source>the certificate was not yet valid at the signing time</source>
        <translation>签章时证书尚未生效</translation>
    </message>
    <message>
        <source>the certificate had expired at the signing time</source>
        <translation>签章时证书已过期</translation>
    </message>
    <message>
        <source>the certificate was not valid at the signing time</source>
        <translation>签章时证书不在有效期内</translation>
    </message>
    <message>
        <source>the certificate or its chain may not be used for signing documents (key usage or path constraints)</source>
        <translation>该证书或其证书链不允许用于文档签名（密钥用途或路径约束）</translation>
    </message>
    <message>
        <source>the signature uses an algorithm or key size that is no longer accepted</source>
        <translation>签名使用的算法或密钥长度已不再被接受</translation>
    </message>
    <message>
        <source>whether the certificate was revoked could not be established</source>
        <translation>无法确定证书是否已被吊销</translation>
    </message>
    <message>
        <source>the timestamp is damaged or does not match</source>
        <translation>时间戳已损坏或不匹配</translation>
    </message>
    <message>
        <source>the timestamps are in an impossible order</source>
        <translation>时间戳的先后顺序不可能成立</translation>
    </message>
    <message>
        <source>the signature is damaged and cannot be checked</source>
        <translation>签名已损坏，无法检查</translation>
    </message>
    <message>
        <source>the signature could not be validated (see the technical detail)</source>
        <translation>无法验证该签名（见技术详情）</translation>
    </message>
    <message>
        <source>a new signature field was added after the certification signature; the PDF standard and Acrobat allow this for documents certified to permit annotations, but strict verifiers (such as pyHanko&apos;s default settings) report the certification as broken</source>
        <translation>认证签名之后又添加了新的签名域；PDF 标准和 Acrobat 允许在准许批注的认证文档上这样做，但严格的验证程序（如 pyHanko 的默认设置）会认为认证已被破坏</translation>
    </message>
    <message>
        <source>the file uses hybrid cross-reference sections (an old compatibility format); it could only be checked in lenient mode, and other PDF readers may show different content than was checked</source>
        <translation>该文件使用混合交叉引用表（一种旧的兼容格式），只能以宽松模式检查；其他 PDF 阅读器显示的内容可能与所检查的内容不同</translation>
    </message>
    <message>
        <source>changed after signing</source>
        <translation>签署后被修改</translation>
    </message>
    <message>
        <source>removed after signing</source>
        <translation>签署后被删除</translation>
    </message>
    <message>
        <source>added after signing (not protected by the signature)</source>
        <translation>签署后新增（不受该签名保护）</translation>
    </message>
    <message>
        <source>its check value cannot be read</source>
        <translation>其校验值无法读取</translation>
    </message>
    <message>
        <source>valid at the signing time; the certificate or the seal has expired since</source>
        <translation>签署时有效；证书或印章此后已过期</translation>
    </message>
    <message>
        <source>the seal file beside the signature (Seal.esl) is not the seal that was signed</source>
        <translation>签名旁的印章文件（Seal.esl）不是所签署的印章</translation>
    </message>
</context>
</TS>
