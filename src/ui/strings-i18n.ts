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
Standard`,
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
Par défaut`,
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
Predeterminado`,
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
Padrão`,
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
既定`,
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
默认`,
};
