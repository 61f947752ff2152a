// The built-in languages other than English: loaded (a chunk of its own in the CDN bundle) only where the UI speaks one.
import type { Lang } from './strings.js';

/** One line per key, in the KEYS order of strings.ts. `{name}` is a placeholder. */
export const TABLES: Record<Exclude<Lang, 'en'>, string> = {
  de: `Mikrofon
Mikrofon einschalten
Mikrofon ausschalten
Kamera
Kamera einschalten
Kamera ausschalten
Bildschirm teilen
Teilen beenden
Lautsprecher
Geräte
Verlassen
Wieder beitreten
Beitreten
Du
Warten auf weitere Teilnehmende
Teile diesen Link, um andere einzuladen
Link kopieren
Kopiert
Dein Name
Namen eingeben
Stumm
Kamera aus
Anheften
Lösen
{name} präsentiert
Verbinden…
Verbindung unterbrochen: neuer Versuch…
Du hast den Anruf verlassen
Anrufsteuerung
Mikrofonpegel
Bereit zum Beitreten?
Vorschau
Standard
Teilnehmende
Host
Zum Host machen
Entfernen
Warten auf Einlass
Einlassen
Ablehnen
Raum sperren
Für alle beenden
Schließen
{name} möchte beitreten
Ein Host hat dein Mikrofon stummgeschaltet
Ein Host hat deine Kamera ausgeschaltet`,
  fr: `Micro
Activer le micro
Couper le micro
Caméra
Activer la caméra
Couper la caméra
Partager l'écran
Arrêter le partage
Haut-parleur
Appareils
Quitter
Revenir
Participer
Vous
En attente d'autres participants
Partagez ce lien pour inviter d'autres personnes
Copier le lien
Copié
Votre nom
Saisissez votre nom
Micro coupé
Caméra coupée
Épingler
Désépingler
{name} présente
Connexion…
Connexion perdue : reconnexion…
Vous avez quitté l'appel
Commandes de l'appel
Niveau du micro
Prêt à participer ?
Aperçu
Par défaut
Participants
Hôte
Nommer hôte
Retirer
En attente d'entrer
Admettre
Refuser
Verrouiller la salle
Terminer pour tous
Fermer
{name} demande à participer
Un hôte a coupé votre micro
Un hôte a coupé votre caméra`,
  es: `Micrófono
Activar micrófono
Silenciar micrófono
Cámara
Activar cámara
Desactivar cámara
Compartir pantalla
Dejar de compartir
Altavoz
Dispositivos
Salir
Volver a unirse
Unirse
Tú
Esperando a que se unan otros
Comparte este enlace para invitar a otros
Copiar enlace
Copiado
Tu nombre
Escribe tu nombre
Silenciado
Cámara desactivada
Fijar
Dejar de fijar
{name} está presentando
Conectando…
Conexión perdida: reconectando…
Has salido de la llamada
Controles de la llamada
Nivel del micrófono
¿Listo para unirte?
Vista previa
Predeterminado
Participantes
Anfitrión
Hacer anfitrión
Quitar
Esperando para entrar
Admitir
Rechazar
Bloquear la sala
Finalizar para todos
Cerrar
{name} quiere unirse
Un anfitrión silenció tu micrófono
Un anfitrión desactivó tu cámara`,
  pt: `Microfone
Ativar microfone
Desativar microfone
Câmera
Ativar câmera
Desativar câmera
Compartilhar tela
Parar de compartilhar
Alto-falante
Dispositivos
Sair
Entrar de novo
Entrar
Você
Aguardando outras pessoas
Compartilhe este link para convidar outras pessoas
Copiar link
Copiado
Seu nome
Digite seu nome
Sem áudio
Câmera desligada
Fixar
Desafixar
{name} está apresentando
Conectando…
Conexão perdida: reconectando…
Você saiu da chamada
Controles da chamada
Nível do microfone
Pronto para entrar?
Prévia
Padrão
Participantes
Organizador
Tornar organizador
Remover
Aguardando para entrar
Admitir
Recusar
Bloquear a sala
Encerrar para todos
Fechar
{name} quer entrar
Um organizador desativou seu microfone
Um organizador desligou sua câmera`,
  ja: `マイク
マイクをオン
マイクをオフ
カメラ
カメラをオン
カメラをオフ
画面を共有
共有を停止
スピーカー
デバイス
退出
再参加
参加
あなた
他の参加者を待っています
このリンクを共有して招待できます
リンクをコピー
コピーしました
名前
名前を入力
ミュート中
カメラオフ
固定
固定を解除
{name} さんが画面を共有中
接続中…
接続が切れました。再接続中…
通話から退出しました
通話コントロール
マイクの音量
参加の準備はできましたか？
プレビュー
既定
参加者
ホスト
ホストにする
退出させる
参加待ち
許可
拒否
ルームをロック
全員の通話を終了
閉じる
{name} さんが参加を求めています
ホストがあなたのマイクをミュートしました
ホストがあなたのカメラをオフにしました`,
  zh: `麦克风
打开麦克风
关闭麦克风
摄像头
打开摄像头
关闭摄像头
共享屏幕
停止共享
扬声器
设备
离开
重新加入
加入
你
正在等待其他人加入
分享此链接以邀请他人
复制链接
已复制
你的名字
输入你的名字
已静音
摄像头已关闭
固定
取消固定
{name} 正在共享屏幕
正在连接…
连接已断开，正在重新连接…
你已离开通话
通话控制
麦克风音量
准备好加入了吗？
预览
默认
参与者
主持人
设为主持人
移出
等待加入
准许
拒绝
锁定房间
为所有人结束
关闭
{name} 请求加入
主持人已将你的麦克风静音
主持人已关闭你的摄像头`,
};
